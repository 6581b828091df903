import KuraCrypto

/// What someone asks of the party registry.
public enum PartyCommand: Sendable, Equatable {
    /// Registers a new party. `apiKeyHash` is the lowercase hex SHA-256 of its API key: the key itself is never stored.
    case register(name: String, roles: Set<Party.Role>, publicKey: Ed25519.PublicKey, apiKeyHash: String)
    /// Stops an active party from acting, reversibly.
    case suspend
    /// Lets a suspended party act again.
    case reactivate
    /// Stops a party for good.
    case revoke
    /// Replaces the party's signing key. `proof` is the new key's signature over
    /// ``KeyRotation/signingBytes(instance:party:from:to:)``.
    case rotateKey(Ed25519.PublicKey, proof: [UInt8])
    /// Replaces the party's API key; `apiKeyHash` is the new key's lowercase hex SHA-256.
    case rotateAPIKey(apiKeyHash: String)

    /// The command's name, for error details.
    public var name: String {
        switch self {
        case .register: "register"
        case .suspend: "suspend"
        case .reactivate: "reactivate"
        case .revoke: "revoke"
        case .rotateKey: "rotate the signing key of"
        case .rotateAPIKey: "rotate the API key of"
        }
    }
}
