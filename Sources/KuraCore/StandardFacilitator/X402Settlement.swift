import KuraCrypto
import KuraX402

/// What the facilitator recorded when it settled one Kura-scheme authorization: enough to answer a repeat of
/// the same authorization (or of the same payment identifier and payload) with the first answer, and to refuse
/// a second use of the nonce. One per (payer, nonce): stream `x402/<payer>/<nonce>`.
public struct X402Settlement: Codable, Sendable, Equatable {
    /// `exact` or `escrow`.
    public var scheme: String
    /// The payer who signed.
    public var payer: PartyID
    /// The authorization's nonce (64 lowercase hex digits).
    public var nonce: String
    /// Lowercase hex SHA-256 of the authorization's signed bytes: the same authorization has the same hash.
    public var authorizationHash: String
    /// The payment-identifier extension's `id`, when the payment carried one.
    public var paymentIdentifier: String?
    /// Lowercase hex SHA-256 of the canonical JSON of the whole `paymentPayload`.
    public var payloadHash: String
    /// What the settlement made: the direct payment `pmt_…` (`exact`) or the escrow `esc_…` (`escrow`).
    public var subject: String
    /// The answer given, returned again to a repeat.
    public var response: SettleResponse

    /// A record of what one settlement made and answered.
    public init(
        scheme: String, payer: PartyID, nonce: String, authorizationHash: String, paymentIdentifier: String?,
        payloadHash: String, subject: String, response: SettleResponse
    ) {
        self.scheme = scheme
        self.payer = payer
        self.nonce = nonce
        self.authorizationHash = authorizationHash
        self.paymentIdentifier = paymentIdentifier
        self.payloadHash = payloadHash
        self.subject = subject
        self.response = response
    }

    /// The stream of a payer's nonce.
    public static func stream(payer: PartyID, nonce: String) -> String { "x402/\(payer)/\(nonce)" }
}

/// The standard facilitator's event: `x402.settled`, beside the `payment.settled` or `escrow.locked` event that
/// moved the money, in the same command. It carries no postings.
public enum X402Event: DomainEvent, Sendable, Equatable {
    case settled(X402Settlement)

    /// The event types of this aggregate, a closed set like every other aggregate's.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case settled = "x402.settled"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .settled: .settled
        }
    }

    public var type: String { kind.rawValue }

    public var settlement: X402Settlement {
        switch self {
        case .settled(let settlement): settlement
        }
    }

    public var payload: JSONValue {
        switch self {
        // Strings and in-range integers only: encoding cannot fail.
        case .settled(let settlement): (try? JSONValue(encoding: settlement)) ?? .null
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard let kind = Kind(rawValue: type) else {
            throw KuraError(.unknownEventType, "unknown event type \(type)")
        }
        switch kind {
        case .settled:
            do { self = .settled(try payload.decode(X402Settlement.self)) } catch {
                throw KuraError(.internalError, "cannot decode \(X402Settlement.self): \(error.reason)")
            }
        }
    }
}
