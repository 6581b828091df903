import KuraCrypto

/// A Solana address: 32 bytes, written in base58. An Ed25519 public key, or a program-derived address
/// (which is deliberately not a curve point, so nobody holds its secret key).
public struct SolanaPublicKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The length of an address in bytes.
    public static let byteCount = 32

    /// The 32 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 32 raw bytes.
    public init(bytes: some Collection<UInt8>) throws(SolanaError) {
        let raw = Array(bytes)
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidLength, "an address is 32 bytes, got \(raw.count)")
        }
        self.bytes = raw
    }

    /// Reads base58 text of exactly 32 bytes (32 to 44 characters).
    public init(base58 text: String) throws(SolanaError) {
        guard text.utf8.count <= 44, let raw = Base58.decode(text) else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is not base58")
        }
        guard raw.count == Self.byteCount else {
            throw SolanaError(.invalidBase58, "\(SolanaText.quote(text)) is \(raw.count) bytes, not 32")
        }
        self.bytes = raw
    }

    /// Derived from an Ed25519 public key (the same 32 bytes).
    public init(_ key: Ed25519.PublicKey) { self.bytes = key.bytes }

    // Constants from source: they are 32 bytes of valid base58, checked by the tests.
    init(constant text: String) {
        guard let raw = Base58.decode(text), raw.count == Self.byteCount else {
            preconditionFailure("bad address constant \(text)")
        }
        self.bytes = raw
    }

    /// The base58 text.
    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }

    /// The Ed25519 key these bytes are, for checking signatures.
    public var ed25519: Ed25519.PublicKey { try! Ed25519.PublicKey(bytes: bytes) }

    /// Whether the bytes are a point of the Ed25519 curve (see ``Ed25519/isOnCurve(_:)``).
    public var isOnCurve: Bool { Ed25519.isOnCurve(bytes) }

    /// The order of the bytes, as Solana sorts account keys when it compiles a message.
    public static func < (lhs: SolanaPublicKey, rhs: SolanaPublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension SolanaPublicKey: Codable {
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

/// Text from the wire quoted in an error without echoing all of it.
enum SolanaText {
    static func quote(_ text: String) -> String {
        let head = text.unicodeScalars.prefix(48).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }
        return "'" + head.joined() + (text.unicodeScalars.count > 48 ? "…'" : "'")
    }
}
