/// The one error type of Kura: a stable machine code and a sentence for people.
/// Adapters map the code's ``Code/category`` once: to an HTTP status in KuraHTTP, to an exit code in the CLI.
public struct KuraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure a code is. The set is closed: KuraHTTP maps each category to one HTTP status and the
    /// CLI to one exit code, each by a `switch` with no `default:`, so a new code cannot become a 500 or an exit
    /// 70 by omission.
    ///
    /// Several categories share a status and differ only in the exit code (sysexits.h: 64 usage, 65 bad data,
    /// 66 no input, 69 unavailable, 70 software, 75 temporary failure): a script retries a 75, not a 69.
    public enum Category: Sendable, Hashable, CaseIterable {
        /// The request is malformed or fails validation (400; exit 64).
        case invalidInput
        /// The request body is over the server's limit (413; exit 64).
        case tooLarge
        /// No credentials, or credentials that do not authenticate (401; exit 69).
        case unauthenticated
        /// The caller is known but may not do this (403; exit 69).
        case forbidden
        /// What the request names does not exist (404; exit 66).
        case notFound
        /// The route exists, but not with this method (405; exit 70).
        case methodNotAllowed
        /// The state moved under the request (a version, a window, a key already used); reading again and
        /// retrying may succeed (409; exit 75).
        case conflict
        /// The object's state refuses the request until someone changes it (a revoked mandate, a frozen
        /// position) (409; exit 69).
        case stateRefused
        /// The payment was already made (409; exit 70).
        case duplicate
        /// Well-formed, but a rule of the domain refuses it (funds, caps, signatures) (422; exit 69).
        case refused
        /// A provider refused a channel's terms (422; exit 70).
        case termsRefused
        /// The thing existed but is over for good (expired, voided) (410; exit 69).
        case gone
        /// The caller sent too many requests (429; exit 70).
        case rateLimited
        /// The server is momentarily not serving this (overloaded, not ready, checkpoint not signed yet)
        /// (503; exit 70).
        case unavailable
        /// The database cannot be reached; nothing was written (503; exit 75).
        case storageUnavailable
        /// A payment rail (a Solana endpoint) cannot be reached or is not configured (503; exit 69).
        case railUnavailable
        /// Data Kura read is damaged, foreign or from a newer version: a broken chain, a failed verification, an
        /// unknown database or event type (500; exit 65).
        case badData
        /// Kura failed inside (500; exit 70).
        case internalFailure
    }

    /// A stable snake_case code, the `code` member of problem+json. The set is closed: every code Kura answers
    /// with is a case here, and ``category`` (an exhaustive `switch` below) makes a new case choose its category
    /// before anything compiles. The `Schemas/openapi.yaml` `Problem.code` enum lists the same set less
    /// ``clientSide``; a test compares them.
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        // Requests and callers.
        case invalidRequest = "invalid_request"
        case unauthenticated
        case forbidden
        case notFound = "not_found"
        /// The route exists, but not with this method (HTTP 405). Only KuraHTTP produces it.
        case methodNotAllowed = "method_not_allowed"
        case payloadTooLarge = "payload_too_large"
        /// Too many requests from one client address (HTTP 429, with `Retry-After`). Only KuraHTTP produces it.
        case rateLimited = "rate_limited"
        // Commands against the log.
        case invalidTransition = "invalid_transition"
        case idempotencyConflict = "idempotency_conflict"
        case versionConflict = "version_conflict"
        case insufficientFunds = "insufficient_funds"
        /// Another party already holds this public key: one key, one party, so that a signature names its signer.
        case publicKeyTaken = "public_key_taken"
        // Disputes.
        /// The caller is not on the dispute's current panel.
        case notOnPanel = "not_on_panel"
        /// The arbiter already ruled in this round.
        case alreadyRuled = "already_ruled"
        /// The window for this action has closed.
        case deadlinePassed = "deadline_passed"
        /// The dispute is resolved or closed, or not in a phase that takes this action.
        case disputeNotOpen = "dispute_not_open"
        /// A ruling's signature does not verify with the arbiter's registered key.
        case invalidSignature = "invalid_signature"
        // Channels.
        /// The voucher is for another channel or its signature is not the agent's.
        case voucherInvalid = "voucher_invalid"
        /// The voucher is not above what was already settled: replayed, lower, or out of order.
        case voucherStale = "voucher_stale"
        /// The voucher asks for more than the channel holds.
        case voucherOverCapacity = "voucher_over_capacity"
        /// The channel is closed, or closing and past its challenge period.
        case channelClosed = "channel_closed"
        /// A provider's gate refuses a channel whose challenge period or remaining lifetime leaves its settlement
        /// schedule no room.
        case channelTermsRefused = "channel_terms_refused"
        // Payments.
        /// The payer already made a payment with this `paymentId`.
        case duplicatePayment = "duplicate_payment"
        // The reservation facilitator.
        /// The agent or the counterparty of a verify is not an active party.
        case partyInactive = "party_inactive"
        /// The lane and the funding named do not fit (a mandate on crypto-fast, a position on enterprise), or a
        /// settle names a lane other than the reservation's.
        case laneMismatch = "lane_mismatch"
        /// A per-transaction, daily or single-payment cap would be passed.
        case capExceeded = "cap_exceeded"
        /// The mandate's remaining balance is less than the amount.
        case mandateExhausted = "mandate_exhausted"
        /// The mandate is revoked or past its expiry.
        case mandateInactive = "mandate_inactive"
        /// The counterparty is not among the mandate's allowed counterparties.
        case counterpartyNotAllowed = "counterparty_not_allowed"
        /// The position's credit (collateral value × LTV, less debt and reservations) is less than the amount.
        case creditExceeded = "credit_exceeded"
        /// The position is frozen: its health factor fell below the minimum.
        case positionFrozen = "position_frozen"
        /// The position is liquidated or closed.
        case positionInactive = "position_inactive"
        /// No operator price is posted for the position's collateral in its asset.
        case priceUnavailable = "price_unavailable"
        /// No reservation has that ID.
        case reservationNotFound = "reservation_not_found"
        /// The reservation's `expiresAt` has passed.
        case reservationExpired = "reservation_expired"
        /// The reservation was voided (expired and swept, or its position liquidated); its hold is released.
        case reservationVoided = "reservation_voided"
        /// The envelope is not a well-formed EdDSA JWS, or its signature does not verify.
        case envelopeInvalid = "envelope_invalid"
        /// The envelope's `kid` names no key in the service's verifier set.
        case unknownKey = "unknown_key"
        /// The envelope is validly signed but for another reservation, or its decision differs from the stored one.
        case envelopeMismatch = "envelope_mismatch"
        // Solana.
        /// The Solana rail is not configured for this network or asset, or its JSON-RPC endpoint did not answer.
        case railUnavailable = "rail_unavailable"
        /// An on-chain transaction offered as a deposit or a receipt does not prove what it must.
        case transferRefused = "transfer_refused"
        /// The transaction was already used: a deposit credited, a receipt accepted.
        case transferUsed = "transfer_used"
        // The server and its storage.
        /// A bounded queue is full; try again later (HTTP 503 with `Retry-After`).
        case overloaded
        /// The server runs but should not get traffic now: the database does not answer, the log lost an event this
        /// node answered for, or the writer is stalled (HTTP 503).
        case notReady = "not_ready"
        /// No checkpoint issued yet covers what a public read asks for; the checkpointer issues the next one
        /// within its interval (HTTP 503 with `Retry-After`).
        case checkpointPending = "checkpoint_pending"
        case storageFailure = "storage_failure"
        /// The database cannot be reached or is not serving (PostgreSQL stopped, restarting, too many
        /// connections). Nothing was written; the same request may be retried later.
        case storageUnavailable = "storage_unavailable"
        case unsupportedDatabase = "unsupported_database"
        case verificationFailed = "verification_failed"
        case chainBroken = "chain_broken"
        /// The log holds an event type this version does not know (a newer writer's, or a damaged row): the
        /// projection refuses it rather than skip it.
        case unknownEventType = "unknown_event_type"
        case internalError = "internal_error"
        // The client's own (KuraClient), never answered by a server: reported by the CLI against a server.
        /// The server could not be reached (a transport failure).
        case unavailable
        /// The server's answer could not be read.
        case invalidResponse = "invalid_response"

        /// The codes only KuraClient produces, for failures of its own; a server never answers with them.
        public static let clientSide: Set<Code> = [.unavailable, .invalidResponse]

        public var description: String { rawValue }

        /// The category of this code: the one thing its HTTP status and exit code follow from.
        public var category: Category {
            switch self {
            case .invalidRequest, .envelopeInvalid: .invalidInput
            case .payloadTooLarge: .tooLarge
            case .unauthenticated: .unauthenticated
            case .forbidden, .notOnPanel, .partyInactive, .counterpartyNotAllowed: .forbidden
            case .notFound, .reservationNotFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .invalidTransition, .idempotencyConflict, .versionConflict, .publicKeyTaken, .alreadyRuled,
                .deadlinePassed, .disputeNotOpen, .voucherStale, .channelClosed, .laneMismatch, .envelopeMismatch,
                .transferUsed:
                .conflict
            case .mandateInactive, .positionFrozen, .positionInactive: .stateRefused
            case .duplicatePayment: .duplicate
            case .insufficientFunds, .invalidSignature, .voucherInvalid, .voucherOverCapacity, .capExceeded,
                .mandateExhausted, .creditExceeded, .priceUnavailable, .unknownKey, .transferRefused:
                .refused
            case .channelTermsRefused: .termsRefused
            case .reservationExpired, .reservationVoided: .gone
            case .rateLimited: .rateLimited
            case .overloaded, .notReady, .checkpointPending: .unavailable
            case .storageUnavailable: .storageUnavailable
            case .railUnavailable: .railUnavailable
            case .unsupportedDatabase, .verificationFailed, .chainBroken, .unknownEventType: .badData
            // The client's own codes keep the 500 and exit 70 they had as codes no table listed.
            case .storageFailure, .internalError, .unavailable, .invalidResponse: .internalFailure
            }
        }
    }

    /// The machine code.
    public let code: Code
    /// One line for people; never parsed.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
