import CSodium

/// SHA-256 (FIPS 180-4), computed by libsodium.
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        let done = bytes.withContiguousStorageIfAvailable { buffer in
            out.withUnsafeMutableBufferPointer { o in
                _ = crypto_hash_sha256(o.baseAddress!, buffer.baseAddress, UInt64(buffer.count))
            }
        }
        if done == nil {
            let copy = Array(bytes)
            return hash(copy)
        }
        return out
    }

    /// Hashes the UTF-8 bytes of `text`.
    public static func hash(_ text: String) -> [UInt8] {
        hash(Array(text.utf8))
    }
}

/// An incremental SHA-256, for data that arrives in pieces.
public struct SHA256Hasher: ~Copyable {
    private var state = crypto_hash_sha256_state()

    /// Starts an empty hash.
    public init() {
        ensureSodium()
        crypto_hash_sha256_init(&state)
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { buffer in
                _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
            }
        }
    }

    /// Returns the digest; the hasher is consumed.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }
}
