import CLibCrypto

/// SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto.
///
/// Not libsodium's, which KuraCrypto uses for Ed25519: libsodium hashes in portable C, and OpenSSL's block
/// function uses the CPU's SHA extensions where it has them (x86-64 SHA-NI, ARMv8 SHA2), 3.8 to 5 times faster
/// on this project's machines for the sizes Kura hashes: API keys, Merkle nodes, event bodies, receipt leaves. The
/// low-level `SHA256_*` functions are deprecated in OpenSSL 3 but built by default (Debian's included).
/// Every event, receipt and command identifier goes through here, so both are held to the same NIST vectors and
/// to each other (`CryptoVectorTests`).
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// Hashes `bytes` in one call.
    @inlinable
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.withBytesInPlaceOrCopied { hash(UnsafeRawBufferPointer($0)) }
    }

    /// Hashes the bytes in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// Hashes the UTF-8 bytes of `text`.
    public static func hash(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }
}

/// An incremental SHA-256, for data that arrives in pieces.
public struct SHA256Hasher: ~Copyable {
    private var context = SHA256_CTX()

    /// Starts an empty hash.
    public init() {
        precondition(SHA256_Init(&context) == 1, "OpenSSL's SHA256_Init failed")
    }

    /// Feeds more bytes.
    @inlinable
    public mutating func update(_ bytes: some Collection<UInt8>) {
        bytes.withBytesInPlaceOrCopied { update(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds one byte.
    public mutating func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { update($0) }
    }

    /// Feeds the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        precondition(SHA256_Update(&context, base, buffer.count) == 1, "OpenSSL's SHA256_Update failed")
    }

    /// Returns the digest; the hasher is consumed.
    public consuming func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: SHA256.byteCount) { out, count in
            precondition(SHA256_Final(out.baseAddress, &context) == 1, "OpenSSL's SHA256_Final failed")
            count = SHA256.byteCount
        }
    }
}
