import CSodium

/// Ed25519 signatures (RFC 8032), computed by libsodium.
public enum Ed25519 {
    /// Raw public key length.
    public static let publicKeyByteCount = 32
    /// Raw seed (secret key) length.
    public static let seedByteCount = 32
    /// Signature length.
    public static let signatureByteCount = 64

    /// The bytes of a signature written as standard padded base64, or nil if the text is not exactly that
    /// of 64 bytes.
    public static func signature(base64 text: String) -> [UInt8]? {
        guard let bytes = Base64.decode(text), bytes.count == signatureByteCount else { return nil }
        return bytes
    }

    /// A verifying key: 32 raw bytes.
    public struct PublicKey: Sendable, Hashable {
        /// The raw key bytes.
        public let bytes: [UInt8]

        /// Wraps 32 raw bytes; throws for any other length.
        public init(bytes: [UInt8]) throws(CryptoError) {
            guard bytes.count == Ed25519.publicKeyByteCount else {
                throw CryptoError("an Ed25519 public key is 32 bytes, got \(bytes.count)")
            }
            self.bytes = bytes
        }

        /// Parses the wire form: standard padded base64 of the raw bytes.
        public init(base64 text: String) throws(CryptoError) {
            guard let raw = Base64.decode(text) else { throw CryptoError("public key is not valid base64") }
            try self.init(bytes: raw)
        }

        /// The wire form: standard padded base64 of the raw bytes.
        public var base64: String { Base64.encode(bytes) }

        /// Checks `signature` over `message`. Rejects non-canonical and small-order encodings, as libsodium does.
        public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
            ensureSodium()
            let sig = Array(signature)
            guard sig.count == Ed25519.signatureByteCount else { return false }
            let msg = Array(message)
            return msg.withUnsafeBufferPointer { m in
                crypto_sign_verify_detached(sig, m.baseAddress, UInt64(m.count), bytes) == 0
            }
        }
    }

    /// A signing key, held as its 32-byte seed; the expanded key is derived on creation.
    public struct SecretKey: Sendable {
        /// The 32-byte seed (RFC 8032 secret key).
        public let seed: [UInt8]
        /// The matching public key.
        public let publicKey: PublicKey
        private let expanded: [UInt8]

        /// Derives the key pair from a 32-byte seed.
        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == Ed25519.seedByteCount else {
                throw CryptoError("an Ed25519 secret key seed is 32 bytes, got \(seed.count)")
            }
            ensureSodium()
            var pk = [UInt8](repeating: 0, count: 32)
            var sk = [UInt8](repeating: 0, count: 64)
            crypto_sign_seed_keypair(&pk, &sk, seed)
            self.seed = seed
            self.expanded = sk
            self.publicKey = try PublicKey(bytes: pk)
        }

        /// A fresh key from the operating system's random source. Only adapters call this: the core never does.
        public static func generate() -> SecretKey {
            ensureSodium()
            var seed = [UInt8](repeating: 0, count: 32)
            randombytes_buf(&seed, 32)
            return try! SecretKey(seed: seed)
        }

        /// Signs `message`; returns the 64-byte detached signature.
        public func signature(for message: some Collection<UInt8>) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            let msg = Array(message)
            msg.withUnsafeBufferPointer { m in
                _ = crypto_sign_detached(&sig, nil, m.baseAddress, UInt64(m.count), expanded)
            }
            return sig
        }
    }
}

/// A failure in a cryptographic or encoding operation, with a reason for people.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in one line.
    public let reason: String
    /// Creates an error with a reason.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Secure random bytes from the operating system. For adapters (key and API-key generation) only.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        ensureSodium()
        var out = [UInt8](repeating: 0, count: count)
        randombytes_buf(&out, count)
        return out
    }
}

/// Comparison whose time does not depend on where the inputs differ.
public enum ConstantTime {
    /// True when `a` and `b` have the same length and bytes.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        ensureSodium()
        return sodium_memcmp(a, b, a.count) == 0
    }
}
