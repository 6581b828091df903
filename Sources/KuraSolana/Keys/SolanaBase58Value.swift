import KuraCrypto

/// A fixed number of bytes written in base58: an address, a signature, a hash. The conforming types differ in
/// length and meaning; reading, writing and coding them is this one protocol's.
public protocol SolanaBase58Value: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The length in bytes.
    static var byteCount: Int { get }
    /// The value in an error message, with its article: "an address", "a signature".
    static var noun: String { get }
    /// The raw bytes, exactly ``byteCount`` of them.
    var bytes: [UInt8] { get }
    /// Wraps bytes already known to be ``byteCount`` long (a precondition: a wrong length stops the process).
    init(unchecked bytes: [UInt8])
}

extension SolanaBase58Value {
    /// Wraps raw bytes; any other length than ``byteCount`` is refused.
    public init(bytes: some Collection<UInt8>) throws(SolanaError) {
        let raw = Array(bytes)
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidLength, "\(Self.noun) is \(Self.byteCount) bytes, got \(raw.count)")
        }
        self.init(unchecked: raw)
    }

    /// Reads base58 text of exactly ``byteCount`` bytes (at most 44 characters for 32 bytes, 88 for 64).
    public init(base58 text: String) throws(SolanaError) {
        // ⌈log 256 / log 58⌉ characters a byte, at most: 1.366…, which 11/8 bounds from above.
        guard text.utf8.count <= Self.byteCount * 11 / 8, let raw = Base58.decode(text) else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is not base58")
        }
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is \(raw.count) bytes, not \(Self.byteCount)")
        }
        self.init(unchecked: raw)
    }

    /// The base58 text.
    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }

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
