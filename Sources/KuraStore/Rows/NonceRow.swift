import KuraCore

/// A row of `nonces`: a signed request's nonce, recorded durably before the request runs, with its timestamp.
public struct NonceRow: Sendable, Equatable, Hashable {
    public var party: PartyID
    public var nonce: String
    /// The request's `Kura-Timestamp` (epoch ms).
    public var at: Int64

    public init(party: PartyID, nonce: String, at: Int64) {
        self.party = party
        self.nonce = nonce
        self.at = at
    }
}
