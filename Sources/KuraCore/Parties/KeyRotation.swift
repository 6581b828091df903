import KuraCrypto

/// The proof that goes with a signing-key rotation: the **new** key's Ed25519 signature over
///
/// ```
/// kura-key-rotation-v1 LF <instance> LF <party> LF <old public key, base64> LF <new public key, base64>
/// ```
///
/// It shows that whoever rotates holds the new key (nobody can take over a key they cannot sign with),
/// and it names the instance, the party and the key it replaces, so it cannot be replayed elsewhere or
/// later (once the key has changed, the old key in the text no longer matches).
public enum KeyRotation {
    /// The bytes the new key signs.
    public static func signingBytes(
        instance: String, party: PartyID, from old: Ed25519.PublicKey, to new: Ed25519.PublicKey
    ) -> [UInt8] {
        Array("kura-key-rotation-v1\n\(instance)\n\(party.rawValue)\n\(old.base64)\n\(new.base64)".utf8)
    }
}

/// What party decisions need beyond the party: read by KuraService from projections and configuration.
public struct PartyContext: Sendable, Equatable {
    /// This Kura instance's name in signed texts: its log key's name and key ID (`<name>+<hex key ID>`).
    public var instance: String
    /// The party that already holds the public key being registered or rotated to, if any.
    public var keyHolder: PartyID?

    /// Creates a context.
    public init(instance: String = "", keyHolder: PartyID? = nil) {
        self.instance = instance
        self.keyHolder = keyHolder
    }
}
