import KuraCrypto

/// What happened in a dispute (stream `dispute/dsp_…`). Money moves on the escrow's stream
/// (`escrow.resolved`), in the same command as `dispute.resolved`.
public enum DisputeEvent: Sendable, Equatable, Hashable {
    /// The payer disputed a delivery; the first panel was drawn and the payee's response window opened.
    case opened(Opening)
    /// One side added evidence digests and, optionally, a short statement.
    case evidenceAdded(Evidence)
    /// The response phase ended (the payee answered, or its window closed): the panel may rule until `rulingDueAt`.
    case deliberating(round: Int, rulingDueAt: Timestamp, at: Timestamp)
    /// An arbiter stepped down; `replacement` took the seat if anyone eligible was left, drawn with the
    /// round's seed `panelSeed` (base64; absent in events written before seeds).
    case recused(arbiter: PartyID, replacement: PartyID?, panelSeed: String?, at: Timestamp)
    /// An arbiter's signed ruling was accepted.
    case ruled(Ruling)
    /// A first-round outcome: final unless appealed before `appealDueAt`.
    case decided(Decision)
    /// A side appealed; a larger panel was drawn and rules until `rulingDueAt`.
    case appealed(Appeal)
    /// The final outcome: `refund` back to the payer, `payout` to the payee, `fee` to Kura.
    case resolved(Resolution)
    /// The dispute ended without a ruling because the payee refunded the escrow.
    case closed(reason: String, at: Timestamp)

    /// The opening facts.
    public struct Opening: Sendable, Equatable, Hashable, Codable {
        public var disputeId: DisputeID
        public var escrowId: EscrowID
        public var payer: PartyID
        public var payee: PartyID
        public var amount: Amount
        public var asset: Asset
        public var reason: String
        public var evidence: [String]
        public var statement: String?
        public var panel: [PartyID]
        /// Kura's signature that seeded the draw of `panel` (base64; see ``Panel``). Absent in disputes
        /// opened before seeds, whose panels were ranked by the dispute ID alone.
        public var panelSeed: String?
        public var responseDueAt: Timestamp
        public var at: Timestamp
    }

    /// Evidence from one side.
    public struct Evidence: Sendable, Equatable, Hashable, Codable {
        public var by: PartyID
        public var evidence: [String]
        public var statement: String?
        public var at: Timestamp
    }

    /// A round's outcome.
    public struct Decision: Sendable, Equatable, Hashable, Codable {
        public var round: Int
        public var refundBps: Int
        /// How many rulings it rests on; 0 when the default applied.
        public var rulings: Int
        /// Whether the ruling deadline passed with no ruling, so the configured default applied.
        public var byDefault: Bool
        public var appealDueAt: Timestamp
        public var at: Timestamp
    }

    /// An appeal.
    public struct Appeal: Sendable, Equatable, Hashable, Codable {
        public var by: PartyID
        public var reason: String?
        public var round: Int
        public var panel: [PartyID]
        /// Kura's signature that seeded the draw of `panel` (base64; see ``Panel``).
        public var panelSeed: String?
        public var rulingDueAt: Timestamp
        public var at: Timestamp
    }

    /// How the held amount was split. `refund + payout + fee` is the escrowed amount.
    public struct Resolution: Sendable, Equatable, Hashable, Codable {
        public var round: Int
        public var refundBps: Int
        public var byDefault: Bool
        public var refund: Amount
        public var payout: Amount
        public var fee: Amount
        public var at: Timestamp
    }

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case opened = "dispute.opened"
        case evidenceAdded = "dispute.evidence_added"
        case deliberating = "dispute.deliberating"
        case recused = "dispute.recused"
        case ruled = "dispute.ruled"
        case decided = "dispute.decided"
        case appealed = "dispute.appealed"
        case resolved = "dispute.resolved"
        case closed = "dispute.closed"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .opened: .opened
        case .evidenceAdded: .evidenceAdded
        case .deliberating: .deliberating
        case .recused: .recused
        case .ruled: .ruled
        case .decided: .decided
        case .appealed: .appealed
        case .resolved: .resolved
        case .closed: .closed
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    /// When it happened.
    public var at: Timestamp {
        switch self {
        case .opened(let b): b.at
        case .evidenceAdded(let b): b.at
        case .deliberating(_, _, let at), .recused(_, _, _, let at), .closed(_, let at): at
        case .ruled(let b): b.at
        case .decided(let b): b.at
        case .appealed(let b): b.at
        case .resolved(let b): b.at
        }
    }

    private struct Deliberating: Codable { var round: Int, rulingDueAt: Timestamp, at: Timestamp }
    private struct Recused: Codable { var arbiter: PartyID, replacement: PartyID?, panelSeed: String?, at: Timestamp }
    private struct Closed: Codable { var reason: String, at: Timestamp }

    /// The facts as a JSON object.
    public var payload: JSONValue {
        switch self {
        case .opened(let b): EventPayload.encode(b)
        case .evidenceAdded(let b): EventPayload.encode(b)
        case .deliberating(let round, let due, let at):
            EventPayload.encode(Deliberating(round: round, rulingDueAt: due, at: at))
        case .recused(let arbiter, let replacement, let seed, let at):
            EventPayload.encode(Recused(arbiter: arbiter, replacement: replacement, panelSeed: seed, at: at))
        case .ruled(let b): EventPayload.encode(b)
        case .decided(let b): EventPayload.encode(b)
        case .appealed(let b): EventPayload.encode(b)
        case .resolved(let b): EventPayload.encode(b)
        case .closed(let reason, let at): EventPayload.encode(Closed(reason: reason, at: at))
        }
    }

    /// Reads an event back from its type and payload in the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        func body<Body: Decodable>(_ kind: Body.Type) throws(KuraError) -> Body {
            try EventPayload.decode(kind, from: payload, eventType: type)
        }
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .opened: self = .opened(try body(Opening.self))
        case .evidenceAdded: self = .evidenceAdded(try body(Evidence.self))
        case .deliberating:
            let b = try body(Deliberating.self)
            self = .deliberating(round: b.round, rulingDueAt: b.rulingDueAt, at: b.at)
        case .recused:
            let b = try body(Recused.self)
            self = .recused(arbiter: b.arbiter, replacement: b.replacement, panelSeed: b.panelSeed, at: b.at)
        case .ruled: self = .ruled(try body(Ruling.self))
        case .decided: self = .decided(try body(Decision.self))
        case .appealed: self = .appealed(try body(Appeal.self))
        case .resolved: self = .resolved(try body(Resolution.self))
        case .closed:
            let b = try body(Closed.self)
            self = .closed(reason: b.reason, at: b.at)
        }
    }
}

extension DisputeEvent: DomainEvent {}
