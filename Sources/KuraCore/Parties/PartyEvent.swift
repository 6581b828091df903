import KuraCrypto

/// What happened to a party, as recorded in the log (stream `party/pty_…`).
public enum PartyEvent: Sendable, Equatable {
    /// A party was registered, active. Carries the API key hash so replay can rebuild the auth table.
    case registered(Party, apiKeyHash: String)
    /// An operator suspended, reactivated or revoked the party.
    case statusChanged(from: PartyStatus, to: PartyStatus)

    /// The stable type string in the log.
    public var type: String {
        switch self {
        case .registered: "party.registered"
        case .statusChanged: "party.status_changed"
        }
    }

    private struct Registered: Codable {
        var party: Party
        var apiKeyHash: String
    }

    private struct StatusChanged: Codable {
        var from: PartyStatus
        var to: PartyStatus
    }

    /// The facts as a JSON object: `{party, apiKeyHash}` or `{from, to}`.
    public var payload: JSONValue {
        switch self {
        case .registered(let party, let hash): EventPayload.encode(Registered(party: party, apiKeyHash: hash))
        case .statusChanged(let from, let to): EventPayload.encode(StatusChanged(from: from, to: to))
        }
    }

    /// Reads an event back from its type and payload in the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        switch type {
        case "party.registered":
            let body = try EventPayload.decode(Registered.self, from: payload, eventType: type)
            self = .registered(body.party, apiKeyHash: body.apiKeyHash)
        case "party.status_changed":
            let body = try EventPayload.decode(StatusChanged.self, from: payload, eventType: type)
            self = .statusChanged(from: body.from, to: body.to)
        default:
            throw EventPayload.unknown(type)
        }
    }
}
