import KuraCrypto

extension SolanaTransaction {
    /// The result of checking one required signature.
    public enum SignatureCheck: Sendable, Equatable {
        /// A valid Ed25519 signature by the key, over the message.
        case valid
        /// The slot is empty (all zero bytes).
        case missing
        /// Bytes that are not the key's signature over this message.
        case invalid
    }

    /// Checks the signature of every required signer, in key order.
    public func checkSignatures() -> [SignatureCheck] {
        zip(message.signers, signatures).map { key, signature in
            if signature.isEmpty { return .missing }
            return key.ed25519.isValidSignature(signature.bytes, for: messageBytes) ? .valid : .invalid
        }
    }

    /// Whether every required signer except those in `except` has signed validly; the first signer that has
    /// not, otherwise.
    public func firstUnsigned(except: Set<SolanaPublicKey> = []) -> (signer: SolanaPublicKey, check: SignatureCheck)? {
        for (key, signature) in zip(message.signers, signatures) where !except.contains(key) {
            if signature.isEmpty { return (key, .missing) }
            if !key.ed25519.isValidSignature(signature.bytes, for: messageBytes) { return (key, .invalid) }
        }
        return nil
    }

    /// Adds (or replaces) the signature of `key`, which must be one of the message's signers.
    public mutating func sign(with key: Ed25519.SecretKey) throws(SolanaError) {
        let signer = SolanaPublicKey(key.publicKey)
        guard let index = message.signers.firstIndex(of: signer) else {
            throw SolanaError(.notASigner, "\(signer) is not a signer of this message")
        }
        signatures[index] = SolanaSignature(unchecked: key.signature(for: messageBytes))
    }

    /// A copy with the signature of `key` added.
    public func signed(with key: Ed25519.SecretKey) throws(SolanaError) -> SolanaTransaction {
        var copy = self
        try copy.sign(with: key)
        return copy
    }
}
