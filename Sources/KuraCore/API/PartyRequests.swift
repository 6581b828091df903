import KuraCrypto

/// `POST /v1/parties/{id}/key`: a new signing key and the proof that the caller holds it.
public struct RotateKeyRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["publicKey", "proof"]
    /// Standard base64 of the new 32-byte Ed25519 public key.
    public var publicKey: String
    /// Standard base64 of the new key's signature over ``KeyRotation/signingBytes(instance:party:from:to:)``.
    public var proof: String

    public init(publicKey: String, proof: String) {
        self.publicKey = publicKey
        self.proof = proof
    }

    /// Signs a rotation of `party` from `old` to the public half of `new` on `instance`.
    public init(instance: String, party: PartyID, from old: Ed25519.PublicKey, to new: Ed25519.SecretKey) {
        let bytes = KeyRotation.signingBytes(instance: instance, party: party, from: old, to: new.publicKey)
        self.init(publicKey: new.publicKey.base64, proof: Base64.encode(new.signature(for: bytes)))
    }

    /// The command: the key and the proof's bytes, or `invalid_request`.
    public func command() throws(KuraError) -> PartyCommand {
        let key: Ed25519.PublicKey
        do { key = try Ed25519.PublicKey(base64: publicKey) } catch {
            throw KuraError(.invalidRequest, "publicKey: \(error.reason)")
        }
        guard let proof = Ed25519.signature(base64: proof) else {
            throw KuraError(.invalidRequest, "proof must be standard base64 of a 64-byte Ed25519 signature")
        }
        return .rotateKey(key, proof: proof)
    }
}

/// The actions on an existing party: the operator's status changes and the key rotations.
public enum PartyAction: String, Sendable, CaseIterable {
    case suspend, reactivate, revoke
    /// A new signing key.
    case key
    /// A new API key.
    case apiKey = "api-key"
}
