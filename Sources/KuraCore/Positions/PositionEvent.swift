import KuraCrypto

/// What happened to a position, as recorded in its stream. Money-moving events carry their postings.
public enum PositionEvent: Sendable, Equatable, Hashable {
    /// Collateral moved from the agent's available balance into `position/<id>/collateral`.
    case opened(id: PositionID, terms: PositionTerms, at: Timestamp, postings: [Posting])
    /// The agent paid back part of its debt.
    case repaid(amount: Amount, at: Timestamp, postings: [Posting])
    /// A price took the health factor below the minimum: no new payments.
    case frozen(price: UInt64, healthBps: UInt64, at: Timestamp)
    /// The health factor is back at or above the minimum (a price, or a repayment).
    case unfrozen(price: UInt64, at: Timestamp)
    /// An operator sold `sold` collateral units at `price` for `proceeds`, which paid the debt; `returned` went
    /// back to the agent. Any debt the proceeds did not cover stays owed.
    case liquidated(price: UInt64, sold: Amount, proceeds: Amount, returned: Amount, at: Timestamp, postings: [Posting])
    /// The collateral went back to the agent; nothing was owed.
    case closed(at: Timestamp, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` is made of.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case opened = "position.opened"
        case repaid = "position.repaid"
        case frozen = "position.frozen"
        case unfrozen = "position.unfrozen"
        case liquidated = "position.liquidated"
        case closed = "position.closed"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .opened: .opened
        case .repaid: .repaid
        case .frozen: .frozen
        case .unfrozen: .unfrozen
        case .liquidated: .liquidated
        case .closed: .closed
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var postings: [Posting] {
        switch self {
        case .opened(_, _, _, let p), .repaid(_, _, let p), .liquidated(_, _, _, _, _, let p), .closed(_, let p): p
        case .frozen, .unfrozen: []
        }
    }

    private struct Opened: Codable {
        var positionId: PositionID, terms: PositionTerms, at: Timestamp, postings: [Posting]
    }
    private struct Repaid: Codable { var amount: Amount, at: Timestamp, postings: [Posting] }
    private struct Frozen: Codable { var price: UInt64, healthBps: UInt64, at: Timestamp }
    private struct Unfrozen: Codable { var price: UInt64, at: Timestamp }
    private struct Liquidated: Codable {
        var price: UInt64, sold: Amount, proceeds: Amount, returned: Amount, at: Timestamp, postings: [Posting]
    }
    private struct Closed: Codable { var at: Timestamp, postings: [Posting] }

    public var payload: JSONValue {
        switch self {
        case .opened(let id, let terms, let at, let postings):
            EventPayload.encode(Opened(positionId: id, terms: terms, at: at, postings: postings))
        case .repaid(let amount, let at, let postings):
            EventPayload.encode(Repaid(amount: amount, at: at, postings: postings))
        case .frozen(let price, let health, let at):
            EventPayload.encode(Frozen(price: price, healthBps: health, at: at))
        case .unfrozen(let price, let at): EventPayload.encode(Unfrozen(price: price, at: at))
        case .liquidated(let price, let sold, let proceeds, let returned, let at, let postings):
            EventPayload.encode(
                Liquidated(price: price, sold: sold, proceeds: proceeds, returned: returned, at: at, postings: postings)
            )
        case .closed(let at, let postings): EventPayload.encode(Closed(at: at, postings: postings))
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        func body<Body: Decodable>(_ kind: Body.Type) throws(KuraError) -> Body {
            try EventPayload.decode(kind, from: payload, eventType: type)
        }
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .opened:
            let b = try body(Opened.self)
            self = .opened(id: b.positionId, terms: b.terms, at: b.at, postings: b.postings)
        case .repaid:
            let b = try body(Repaid.self)
            self = .repaid(amount: b.amount, at: b.at, postings: b.postings)
        case .frozen:
            let b = try body(Frozen.self)
            self = .frozen(price: b.price, healthBps: b.healthBps, at: b.at)
        case .unfrozen:
            let b = try body(Unfrozen.self)
            self = .unfrozen(price: b.price, at: b.at)
        case .liquidated:
            let b = try body(Liquidated.self)
            self = .liquidated(
                price: b.price, sold: b.sold, proceeds: b.proceeds, returned: b.returned, at: b.at, postings: b.postings
            )
        case .closed:
            let b = try body(Closed.self)
            self = .closed(at: b.at, postings: b.postings)
        }
    }
}

extension PositionEvent: DomainEvent {}
