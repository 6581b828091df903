import Foundation
import KuraCore
import KuraCrypto
import Synchronization

/// Signs each request with a party's own Ed25519 key over the `kura-request-v2` text, which names the
/// instance and the party, so a captured request is good for that party on that server only
/// (Docs/authentication.md). Each attempt, retries included, gets a fresh timestamp and nonce.
public struct RequestSigner: Sendable {
    /// The signing party (`Kura-Party`).
    public let party: PartyID
    /// Its registered key.
    public let key: Ed25519.SecretKey
    /// The server's instance name (`<log key name>+<hex key ID>`); nil: read once from `GET /v1/log/key`.
    public let instance: String?

    /// Signs as `party` with `key`; pin `instance` to refuse to sign for any other server.
    public init(party: PartyID, key: Ed25519.SecretKey, instance: String? = nil) {
        self.party = party
        self.key = key
        self.instance = instance
    }

    /// The instance name in a verifier key text `<name>+<hex key ID>+<key>`: its first two fields.
    public static func instance(fromVerifierKey text: String) -> String? {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[0].isEmpty, fields[1].count == 8 else { return nil }
        return "\(fields[0])+\(fields[1])"
    }

    /// The four `Kura-*` headers of one attempt.
    func headers(instance: String, method: String, pathWithQuery: String, body: [UInt8]) -> [(String, String)] {
        let timestamp = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let nonce = "kc-" + Base58.encode(SecureRandom.bytes(16))
        let text = [
            "kura-request-v2", instance, party.rawValue, method.uppercased(), pathWithQuery, String(timestamp), nonce,
            Hex.encode(SHA256.hash(body)),
        ].joined(separator: "\n")
        return [
            ("Kura-Party", party.rawValue), ("Kura-Timestamp", String(timestamp)), ("Kura-Nonce", nonce),
            ("Kura-Signature", Base64.encode(key.signature(for: Array(text.utf8)))),
        ]
    }
}

/// The server's instance name, learned once.
final class InstanceCache: Sendable {
    private let value = Mutex<String?>(nil)
    func get() -> String? { value.withLock { $0 } }
    func set(_ instance: String) { value.withLock { $0 = instance } }
}
