import KuraCrypto

/// What happened to a channel. Money-moving events carry their postings.
public enum ChannelEvent: Sendable, Equatable, Hashable {
    /// The agent deposited `amount` into a new channel for `provider`.
    case opened(Opening)
    /// The agent added funds.
    case toppedUp(amount: Amount, at: Timestamp, postings: [Posting])
    /// A voucher was settled: `amount` (the growth since the last settlement) left the channel, `net` to the
    /// provider and `fee` to Kura.
    case settled(Settlement)
    /// A close started (by the agent, or by expiry); the provider may settle until `closeDueAt`.
    case closing(reason: String, closeDueAt: Timestamp, at: Timestamp)
    /// The channel ended; `returned` went back to the agent.
    case closed(returned: Amount, at: Timestamp, postings: [Posting])

    /// The opening facts.
    public struct Opening: Sendable, Equatable, Hashable, Codable {
        public var channelId: ChannelID
        public var agent: PartyID
        public var provider: PartyID
        public var asset: Asset
        public var amount: Amount
        public var challengePeriodMs: Int64
        public var expiresAt: Timestamp
        /// The agent's signing key when it opened the channel (base64): the key of this channel's vouchers,
        /// whatever the agent rotates to later. Absent in channels opened before keys could rotate.
        public var agentKey: String?
        public var at: Timestamp
        public var postings: [Posting]
    }

    /// A settlement.
    public struct Settlement: Sendable, Equatable, Hashable, Codable {
        public var cumulativeAmount: Amount
        public var sequence: UInt64
        public var amount: Amount
        public var net: Amount
        public var fee: Amount
        /// The agent's signature over the voucher, kept so the settlement can be re-checked.
        public var signature: String
        public var at: Timestamp
        public var postings: [Posting]
    }

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case opened = "channel.opened"
        case toppedUp = "channel.topped_up"
        case settled = "channel.settled"
        case closing = "channel.closing"
        case closed = "channel.closed"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .opened: .opened
        case .toppedUp: .toppedUp
        case .settled: .settled
        case .closing: .closing
        case .closed: .closed
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    /// The ledger postings this event makes.
    public var postings: [Posting] {
        switch self {
        case .opened(let b): b.postings
        case .toppedUp(_, _, let p), .closed(_, _, let p): p
        case .settled(let b): b.postings
        case .closing: []
        }
    }

    private struct ToppedUp: Codable { var amount: Amount, at: Timestamp, postings: [Posting] }
    private struct Closing: Codable { var reason: String, closeDueAt: Timestamp, at: Timestamp }
    private struct Closed: Codable { var returned: Amount, at: Timestamp, postings: [Posting] }

    /// The facts as a JSON object.
    public var payload: JSONValue {
        switch self {
        case .opened(let b): EventPayload.encode(b)
        case .toppedUp(let amount, let at, let postings):
            EventPayload.encode(ToppedUp(amount: amount, at: at, postings: postings))
        case .settled(let b): EventPayload.encode(b)
        case .closing(let reason, let due, let at):
            EventPayload.encode(Closing(reason: reason, closeDueAt: due, at: at))
        case .closed(let returned, let at, let postings):
            EventPayload.encode(Closed(returned: returned, at: at, postings: postings))
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
        case .toppedUp:
            let b = try body(ToppedUp.self)
            self = .toppedUp(amount: b.amount, at: b.at, postings: b.postings)
        case .settled: self = .settled(try body(Settlement.self))
        case .closing:
            let b = try body(Closing.self)
            self = .closing(reason: b.reason, closeDueAt: b.closeDueAt, at: b.at)
        case .closed:
            let b = try body(Closed.self)
            self = .closed(returned: b.returned, at: b.at, postings: b.postings)
        }
    }
}

extension ChannelEvent: DomainEvent {}
