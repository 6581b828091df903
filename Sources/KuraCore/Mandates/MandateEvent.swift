import KuraCrypto

/// What happened to a mandate, as recorded in its stream. Money-moving events carry their postings.
public enum MandateEvent: Sendable, Equatable, Hashable {
    /// `amount` moved from the agent's available balance into `mandate/<id>/funds`.
    case created(id: MandateID, terms: MandateTerms, at: Timestamp, postings: [Posting])
    /// More funds moved in from the agent.
    case toppedUp(amount: Amount, at: Timestamp, postings: [Posting])
    /// The agent (or an operator) stopped it; `returned` went back to the agent.
    case revoked(returned: Amount, at: Timestamp, postings: [Posting])
    /// Its expiry passed; `returned` went back to the agent.
    case expired(returned: Amount, at: Timestamp, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` is made of.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case created = "mandate.created"
        case toppedUp = "mandate.topped_up"
        case revoked = "mandate.revoked"
        case expired = "mandate.expired"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .created: .created
        case .toppedUp: .toppedUp
        case .revoked: .revoked
        case .expired: .expired
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var postings: [Posting] {
        switch self {
        case .created(_, _, _, let p), .toppedUp(_, _, let p), .revoked(_, _, let p), .expired(_, _, let p): p
        }
    }

    private struct Created: Codable {
        var mandateId: MandateID, terms: MandateTerms, at: Timestamp, postings: [Posting]
    }
    private struct ToppedUp: Codable { var amount: Amount, at: Timestamp, postings: [Posting] }
    private struct Closed: Codable { var returned: Amount, at: Timestamp, postings: [Posting] }

    public var payload: JSONValue {
        switch self {
        case .created(let id, let terms, let at, let postings):
            EventPayload.encode(Created(mandateId: id, terms: terms, at: at, postings: postings))
        case .toppedUp(let amount, let at, let postings):
            EventPayload.encode(ToppedUp(amount: amount, at: at, postings: postings))
        case .revoked(let returned, let at, let postings), .expired(let returned, let at, let postings):
            EventPayload.encode(Closed(returned: returned, at: at, postings: postings))
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        func body<Body: Decodable>(_ kind: Body.Type) throws(KuraError) -> Body {
            try EventPayload.decode(kind, from: payload, eventType: type)
        }
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .created:
            let b = try body(Created.self)
            self = .created(id: b.mandateId, terms: b.terms, at: b.at, postings: b.postings)
        case .toppedUp:
            let b = try body(ToppedUp.self)
            self = .toppedUp(amount: b.amount, at: b.at, postings: b.postings)
        case .revoked:
            let b = try body(Closed.self)
            self = .revoked(returned: b.returned, at: b.at, postings: b.postings)
        case .expired:
            let b = try body(Closed.self)
            self = .expired(returned: b.returned, at: b.at, postings: b.postings)
        }
    }
}

extension MandateEvent: DomainEvent {}
