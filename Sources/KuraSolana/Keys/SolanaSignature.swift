import KuraCrypto

/// An Ed25519 signature in a Solana transaction: 64 bytes, written in base58. A transaction's first
/// signature (the fee payer's) is its ID on the network.
public struct SolanaSignature: Sendable, Hashable, CustomStringConvertible {
    /// The length of a signature in bytes.
    public static let byteCount = 64

    /// The placeholder of a signature not yet made: 64 zero bytes.
    public static let empty = SolanaSignature(unchecked: [UInt8](repeating: 0, count: 64))

    /// The 64 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 64 raw bytes.
    public init(bytes: some Collection<UInt8>) throws(SolanaError) {
        let raw = Array(bytes)
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidLength, "a signature is 64 bytes, got \(raw.count)")
        }
        self.bytes = raw
    }

    /// Reads base58 text of exactly 64 bytes (at most 88 characters).
    public init(base58 text: String) throws(SolanaError) {
        guard text.utf8.count <= 88, let raw = Base58.decode(text) else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is not base58")
        }
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is \(raw.count) bytes, not 64")
        }
        self.bytes = raw
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Whether this is the all-zero placeholder.
    public var isEmpty: Bool { bytes.allSatisfy { $0 == 0 } }

    /// The base58 text.
    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }
}

extension SolanaSignature: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(base58: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base58)
    }
}
