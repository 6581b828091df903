import KuraCrypto

/// A 32-byte Solana hash written in base58: a recent blockhash in a message, a message hash, a genesis hash.
public struct SolanaHash: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 32 raw bytes.
    public init(bytes: some Collection<UInt8>) throws(SolanaError) {
        let raw = Array(bytes)
        guard raw.count == 32 else { throw SolanaError(.invalidLength, "a hash is 32 bytes, got \(raw.count)") }
        self.bytes = raw
    }

    /// Reads base58 text of exactly 32 bytes.
    public init(base58 text: String) throws(SolanaError) {
        guard text.utf8.count <= 44, let raw = Base58.decode(text), raw.count == 32 else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is not base58 of 32 bytes")
        }
        self.bytes = raw
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The base58 text.
    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }
}

extension SolanaHash: Codable {
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
