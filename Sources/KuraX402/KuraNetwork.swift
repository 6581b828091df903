import KuraCrypto

/// The CAIP-2 network ID of one Kura instance: `kura:<key ID>`, where the key ID is the 8 lowercase hex digits
/// of the C2SP key ID of the instance's log signing key (the first 4 bytes of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), as in its verifier key text `name+<key ID>+…`).
///
/// So the ID is printed in the same place anyone already checks the instance's checkpoints, is stable while
/// the log key is, and two instances with different log keys have different networks: an authorization
/// signed for one (it names the network) is refused by another.
public struct KuraNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The CAIP-2 namespace Kura uses.
    public static let namespace = "kura"
    /// The CAIP-2 pattern matching every Kura instance, for `SupportedResponse.signers`.
    public static let wildcard = "kura:*"

    /// `kura:` and 8 lowercase hex digits.
    public let id: String

    /// The network of the instance whose log is signed by the named key.
    public init(logKeyName name: String, publicKey: Ed25519.PublicKey) {
        id = Self.namespace + ":" + Hex.encode(NoteKeys.keyID(name: name, publicKey: publicKey))
    }

    /// Reads a network ID; nil unless it is `kura:` and 8 lowercase hex digits.
    public init?(id: String) {
        let prefix = Self.namespace + ":"
        guard id.hasPrefix(prefix) else { return nil }
        let reference = id.dropFirst(prefix.count)
        guard reference.utf8.count == 8,
            reference.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        self.id = id
    }

    public var description: String { id }
}
