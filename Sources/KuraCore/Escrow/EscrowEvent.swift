import KuraCrypto

/// What happened to an escrow, as recorded in the log. Money-moving events carry their postings.
public enum EscrowEvent: Sendable, Equatable, Hashable {
    /// Why funds went to the payee.
    public enum ReleaseReason: String, Sendable, Codable, CaseIterable {
        /// The payer confirmed.
        case confirmed
        /// The confirm window passed.
        case auto
    }

    /// Funds moved from the payer's available balance into the escrow; `terms.lockedAt` is the lock time.
    case locked(id: EscrowID, terms: EscrowTerms, postings: [Posting])
    /// The payee marked delivery with an evidence digest.
    case delivered(evidence: String, at: Timestamp)
    /// Funds went to the payee (`net`) and to Kura (`fee`); `net + fee` is the escrowed amount.
    case released(reason: ReleaseReason, net: Amount, fee: Amount, at: Timestamp, postings: [Posting])
    /// The payer opened a dispute; funds stay held until a ruling.
    case disputed(disputeId: DisputeID, reason: String, evidence: [String], at: Timestamp)
    /// The payer withdrew before delivery; funds went back to the payer.
    case cancelled(at: Timestamp, postings: [Posting])
    /// The payee gave the money back.
    case refunded(at: Timestamp, postings: [Posting])
    /// Nothing was delivered by the deadline; funds went back to the payer.
    case expired(at: Timestamp, postings: [Posting])
    /// The dispute was resolved: `refund` back to the payer, `payout` to the payee, `fee` to Kura.
    case resolved(Resolved)

    /// The body of `escrow.resolved`.
    public struct Resolved: Sendable, Equatable, Hashable, Codable {
        public var disputeId: DisputeID
        public var refundBps: Int
        public var refund: Amount
        public var payout: Amount
        public var fee: Amount
        public var at: Timestamp
        public var postings: [Posting]
    }

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case locked = "escrow.locked"
        case delivered = "escrow.delivered"
        case released = "escrow.released"
        case disputed = "escrow.disputed"
        case cancelled = "escrow.cancelled"
        case refunded = "escrow.refunded"
        case expired = "escrow.expired"
        case resolved = "escrow.resolved"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .locked: .locked
        case .delivered: .delivered
        case .released: .released
        case .disputed: .disputed
        case .cancelled: .cancelled
        case .refunded: .refunded
        case .expired: .expired
        case .resolved: .resolved
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    /// The ledger postings this event makes; empty for events that move no money.
    public var postings: [Posting] {
        switch self {
        case .locked(_, _, let p), .released(_, _, _, _, let p), .cancelled(_, let p), .refunded(_, let p),
            .expired(_, let p):
            p
        case .resolved(let body): body.postings
        case .delivered, .disputed: []
        }
    }

    private struct Locked: Codable { var escrowId: EscrowID, terms: EscrowTerms, postings: [Posting] }
    private struct Delivered: Codable { var evidence: String, at: Timestamp }
    private struct Released: Codable {
        var reason: ReleaseReason, net: Amount, fee: Amount, at: Timestamp, postings: [Posting]
    }
    private struct Disputed: Codable { var disputeId: DisputeID, reason: String, evidence: [String], at: Timestamp }
    /// The body shared by cancelled, refunded and expired.
    private struct Closed: Codable { var at: Timestamp, postings: [Posting] }

    /// The facts as a JSON object, e.g. `{"at": …, "evidence": "…"}` for `escrow.delivered`.
    public var payload: JSONValue {
        switch self {
        case .locked(let id, let terms, let postings):
            Self.locked(JSONObjectBuilder.self, id: id, terms: terms, postings: postings)
        case .delivered(let evidence, let at): EventPayload.encode(Delivered(evidence: evidence, at: at))
        case .released(let reason, let net, let fee, let at, let postings):
            EventPayload.encode(Released(reason: reason, net: net, fee: fee, at: at, postings: postings))
        case .disputed(let disputeId, let reason, let evidence, let at):
            EventPayload.encode(Disputed(disputeId: disputeId, reason: reason, evidence: evidence, at: at))
        case .cancelled(let at, let postings), .refunded(let at, let postings), .expired(let at, let postings):
            EventPayload.encode(Closed(at: at, postings: postings))
        case .resolved(let body): EventPayload.encode(body)
        }
    }

    /// Reads an event back from its type and payload in the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        func body<Body: Decodable>(_ kind: Body.Type) throws(KuraError) -> Body {
            try EventPayload.decode(kind, from: payload, eventType: type)
        }
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .locked:
            let b = try body(Locked.self)
            self = .locked(id: b.escrowId, terms: b.terms, postings: b.postings)
        case .delivered:
            let b = try body(Delivered.self)
            self = .delivered(evidence: b.evidence, at: b.at)
        case .released:
            let b = try body(Released.self)
            self = .released(reason: b.reason, net: b.net, fee: b.fee, at: b.at, postings: b.postings)
        case .disputed:
            let b = try body(Disputed.self)
            self = .disputed(disputeId: b.disputeId, reason: b.reason, evidence: b.evidence, at: b.at)
        case .cancelled:
            let b = try body(Closed.self)
            self = .cancelled(at: b.at, postings: b.postings)
        case .refunded:
            let b = try body(Closed.self)
            self = .refunded(at: b.at, postings: b.postings)
        case .expired:
            let b = try body(Closed.self)
            self = .expired(at: b.at, postings: b.postings)
        case .resolved:
            self = .resolved(try body(Resolved.self))
        }
    }
}
