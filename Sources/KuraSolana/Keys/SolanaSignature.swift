import KuraCrypto

/// An Ed25519 signature in a Solana transaction: 64 bytes, written in base58. A transaction's first
/// signature (the fee payer's) is its ID on the network.
public struct SolanaSignature: SolanaBase58Value {
    /// The length of a signature in bytes.
    public static let byteCount = 64
    public static let noun = "a signature"

    /// The placeholder of a signature not yet made: 64 zero bytes.
    public static let empty = SolanaSignature(unchecked: [UInt8](repeating: 0, count: 64))

    /// The 64 raw bytes.
    public let bytes: [UInt8]

    public init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "\(Self.noun) is \(Self.byteCount) bytes")
        self.bytes = bytes
    }

    /// Whether this is the all-zero placeholder.
    public var isEmpty: Bool { bytes.allSatisfy { $0 == 0 } }
}
