import KuraCore
import KuraHTTP
import KuraProvider
import KuraService
import KuraStore
import Testing

@testable import KuraClient
@testable import kura

/// The wire meaning of every problem code, pinned: its HTTP status and title in problem+json, and the CLI's
/// exit code. Written before the codes gained categories, against the mapping as it was, so the refactor
/// could not move a single answer.
@Suite("problem code table")
struct ProblemTableTests {
    /// Code, its wire name, HTTP status, problem title, CLI exit code.
    static let table: [(KuraError.Code, String, Int, String, Int32)] = [
        (.invalidRequest, "invalid_request", 400, "Invalid request", 64),
        (.unauthenticated, "unauthenticated", 401, "Unauthenticated", 69),
        (.forbidden, "forbidden", 403, "Forbidden", 69),
        (.notFound, "not_found", 404, "Not found", 66),
        (.methodNotAllowed, "method_not_allowed", 405, "Method not allowed", 70),
        (.invalidTransition, "invalid_transition", 409, "Invalid transition", 75),
        (.idempotencyConflict, "idempotency_conflict", 409, "Idempotency conflict", 75),
        (.versionConflict, "version_conflict", 409, "Version conflict", 75),
        (.payloadTooLarge, "payload_too_large", 413, "Payload too large", 64),
        (.insufficientFunds, "insufficient_funds", 422, "Insufficient funds", 69),
        (.storageFailure, "storage_failure", 500, "Storage failure", 70),
        (.storageUnavailable, "storage_unavailable", 503, "Storage unavailable", 75),
        (.unsupportedDatabase, "unsupported_database", 500, "Internal error", 65),
        (.verificationFailed, "verification_failed", 500, "Internal error", 65),
        (.chainBroken, "chain_broken", 500, "Internal error", 65),
        (.internalError, "internal_error", 500, "Internal error", 70),
        (.notOnPanel, "not_on_panel", 403, "Not on the panel", 69),
        (.alreadyRuled, "already_ruled", 409, "Already ruled", 75),
        (.deadlinePassed, "deadline_passed", 409, "Deadline passed", 75),
        (.disputeNotOpen, "dispute_not_open", 409, "Dispute not open", 75),
        (.invalidSignature, "invalid_signature", 422, "Invalid signature", 69),
        (.voucherInvalid, "voucher_invalid", 422, "Invalid voucher", 69),
        (.voucherStale, "voucher_stale", 409, "Stale voucher", 75),
        (.voucherOverCapacity, "voucher_over_capacity", 422, "Voucher over capacity", 69),
        (.channelClosed, "channel_closed", 409, "Channel closed", 75),
        (.channelTermsRefused, "channel_terms_refused", 422, "Channel terms refused", 70),
        (.publicKeyTaken, "public_key_taken", 409, "Public key taken", 75),
        (.duplicatePayment, "duplicate_payment", 409, "Duplicate payment", 70),
        (.rateLimited, "rate_limited", 429, "Too many requests", 70),
        (.overloaded, "overloaded", 503, "Overloaded", 70),
        (.notReady, "not_ready", 503, "Not ready", 70),
        (.checkpointPending, "checkpoint_pending", 503, "Checkpoint pending", 70),
        (.partyInactive, "party_inactive", 403, "Party inactive", 69),
        (.counterpartyNotAllowed, "counterparty_not_allowed", 403, "Counterparty not allowed", 69),
        (.reservationNotFound, "reservation_not_found", 404, "Reservation not found", 66),
        (.laneMismatch, "lane_mismatch", 409, "Lane mismatch", 75),
        (.envelopeMismatch, "envelope_mismatch", 409, "Envelope mismatch", 75),
        (.mandateInactive, "mandate_inactive", 409, "Mandate inactive", 69),
        (.positionFrozen, "position_frozen", 409, "Position frozen", 69),
        (.positionInactive, "position_inactive", 409, "Position inactive", 69),
        (.capExceeded, "cap_exceeded", 422, "Cap exceeded", 69),
        (.mandateExhausted, "mandate_exhausted", 422, "Mandate exhausted", 69),
        (.creditExceeded, "credit_exceeded", 422, "Credit exceeded", 69),
        (.priceUnavailable, "price_unavailable", 422, "Price unavailable", 69),
        (.unknownKey, "unknown_key", 422, "Unknown key", 69),
        (.reservationExpired, "reservation_expired", 410, "Reservation expired", 69),
        (.reservationVoided, "reservation_voided", 410, "Reservation voided", 69),
        (.envelopeInvalid, "envelope_invalid", 400, "Envelope invalid", 64),
        (.transferRefused, "transfer_refused", 422, "Transfer refused", 69),
        (.transferUsed, "transfer_used", 409, "Transfer already used", 75),
        (.railUnavailable, "rail_unavailable", 503, "Rail unavailable", 69),
        // Added with the categories: a code the projection answers with when the log holds a type it does not
        // know (before, `invalid_request`, 400, exit 64), and the client's own two, which reached the CLI and
        // the channel gate as codes no table listed (500, exit 70, as before).
        (.unknownEventType, "unknown_event_type", 500, "Unknown event type", 65),
        (.unavailable, "unavailable", 500, "Internal error", 70),
        (.invalidResponse, "invalid_response", 500, "Internal error", 70),
    ]

    @Test("every code keeps its HTTP status, title, wire name and exit code")
    func pinned() {
        for (code, wire, status, title, exit) in Self.table {
            #expect(code.rawValue == wire)
            #expect(Int(Problem.status(for: code).code) == status, "\(code)")
            #expect(Problem.title(for: code) == title, "\(code)")
            #expect(Failure.exitCode(for: code) == exit, "\(code)")
            let body = Problem.body(for: KuraError(code, "d"))
            #expect(body["code"]?.stringValue == wire)
            #expect(body["status"] == .number(Double(status)))
            #expect(body["title"]?.stringValue == title)
            #expect(body["type"]?.stringValue == Problem.typeBase + wire)
        }
    }

    @Test("the table names every code, each once")
    func complete() {
        let names = Self.table.map(\.1)
        #expect(Set(names).count == names.count, "a code is listed twice")
        #expect(Set(names) == Set(KuraError.Code.allCases.map(\.rawValue)))
    }

    @Test("a code's status and exit code follow from its category alone")
    func byCategory() {
        for category in KuraError.Category.allCases {
            let codes = KuraError.Code.allCases.filter { $0.category == category }
            #expect(!codes.isEmpty, "\(category) has no code")
            #expect(Set(codes.map { Problem.status(for: $0) }).count == 1, "\(category)")
            #expect(Set(codes.map { Failure.exitCode(for: $0) }).count == 1, "\(category)")
        }
    }

    @Test("a code the client does not know keeps its name in the detail and exits as an internal error")
    func unknownRemoteCode() {
        let error = KuraClientError(kind: .refused, status: 409, code: "something_new", detail: "d").kuraError
        #expect(error.code == .internalError)
        #expect(error.detail == "something_new: d")
        #expect(KuraError.Code(rawValue: "something_new") == nil)
    }
}
