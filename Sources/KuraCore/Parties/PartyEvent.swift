import KuraCrypto

/// What happened to a party, as recorded in the log (stream `party/pty_…`).
public enum PartyEvent: Sendable, Equatable {
    /// A party was registered, active. Carries the API key hash so replay can rebuild the auth table.
    case registered(Party, apiKeyHash: String)
    /// An operator suspended, reactivated or revoked the party.
    case statusChanged(from: PartyStatus, to: PartyStatus)
    /// The party's signing key changed: requests and rulings signed with `from` are refused from now on.
    case keyRotated(from: Ed25519.PublicKey, to: Ed25519.PublicKey)
    /// The party's API key changed; only the new key's hash is recorded. The old key is refused from now on.
    case apiKeyRotated(apiKeyHash: String)

    /// The event types of this aggregate, a closed set: what the log's `type` is made of.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case registered = "party.registered"
        case statusChanged = "party.status_changed"
        case keyRotated = "party.key_rotated"
        case apiKeyRotated = "party.api_key_rotated"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .registered: .registered
        case .statusChanged: .statusChanged
        case .keyRotated: .keyRotated
        case .apiKeyRotated: .apiKeyRotated
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    private struct Registered: Codable {
        var party: Party
        var apiKeyHash: String
    }

    private struct StatusChanged: Codable {
        var from: PartyStatus
        var to: PartyStatus
    }

    /// Keys as base64, the form of `Party.publicKey` on the wire.
    private struct KeyRotated: Codable {
        var from: String
        var to: String
    }

    private struct APIKeyRotated: Codable {
        var apiKeyHash: String
    }

    /// The facts as a JSON object: `{party, apiKeyHash}`, `{from, to}` (statuses, or base64 keys) or
    /// `{apiKeyHash}`.
    public var payload: JSONValue {
        switch self {
        case .registered(let party, let hash): EventPayload.encode(Registered(party: party, apiKeyHash: hash))
        case .statusChanged(let from, let to): EventPayload.encode(StatusChanged(from: from, to: to))
        case .keyRotated(let from, let to): EventPayload.encode(KeyRotated(from: from.base64, to: to.base64))
        case .apiKeyRotated(let hash): EventPayload.encode(APIKeyRotated(apiKeyHash: hash))
        }
    }

    /// Reads an event back from its type and payload in the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .registered:
            let body = try EventPayload.decode(Registered.self, from: payload, eventType: type)
            self = .registered(body.party, apiKeyHash: body.apiKeyHash)
        case .statusChanged:
            let body = try EventPayload.decode(StatusChanged.self, from: payload, eventType: type)
            self = .statusChanged(from: body.from, to: body.to)
        case .keyRotated:
            let body = try EventPayload.decode(KeyRotated.self, from: payload, eventType: type)
            do {
                self = .keyRotated(
                    from: try Ed25519.PublicKey(base64: body.from), to: try Ed25519.PublicKey(base64: body.to))
            } catch {
                throw KuraError(.invalidRequest, "payload of \(type) holds a malformed key: \(error.reason)")
            }
        case .apiKeyRotated:
            self = .apiKeyRotated(
                apiKeyHash: try EventPayload.decode(APIKeyRotated.self, from: payload, eventType: type).apiKeyHash)
        }
    }
}
