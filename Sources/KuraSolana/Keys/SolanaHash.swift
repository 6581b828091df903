import KuraCrypto

/// A 32-byte Solana hash written in base58: a recent blockhash in a message, a message hash, a genesis hash.
public struct SolanaHash: SolanaBase58Value {
    /// The length of a hash in bytes.
    public static let byteCount = 32
    public static let noun = "a hash"

    /// The 32 raw bytes.
    public let bytes: [UInt8]

    public init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "\(Self.noun) is \(Self.byteCount) bytes")
        self.bytes = bytes
    }
}
