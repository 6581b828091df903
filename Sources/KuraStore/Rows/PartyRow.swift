import KuraCore

/// A row of `parties`: the party as registered and changed since, the `seq` of its registration, and the
/// SHA-256 (hex) of its API key. Its status column is `party.status`.
public struct PartyRow: Sendable, Equatable {
    public var party: Party
    /// The `seq` of the `party.registered` event.
    public var seq: UInt64
    /// Lowercase hex SHA-256 of the party's API key (unique).
    public var apiKeyHash: String

    public init(party: Party, seq: UInt64, apiKeyHash: String) {
        self.party = party
        self.seq = seq
        self.apiKeyHash = apiKeyHash
    }
}
