import KuraCrypto

/// A Solana address: 32 bytes, written in base58. An Ed25519 public key, or a program-derived address
/// (which is deliberately not a curve point, so nobody holds its secret key).
public struct SolanaPublicKey: SolanaBase58Value, Comparable {
    /// The length of an address in bytes.
    public static let byteCount = 32
    public static let noun = "an address"

    /// The 32 raw bytes.
    public let bytes: [UInt8]

    public init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "\(Self.noun) is \(Self.byteCount) bytes")
        self.bytes = bytes
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

    /// The Ed25519 key these bytes are, for checking signatures.
    public var ed25519: Ed25519.PublicKey { try! Ed25519.PublicKey(bytes: bytes) }

    /// Whether the bytes are a point of the Ed25519 curve (see ``Ed25519/isOnCurve(_:)``).
    public var isOnCurve: Bool { Ed25519.isOnCurve(bytes) }

    /// The order of the bytes, as Solana sorts account keys when it compiles a message.
    public static func < (lhs: SolanaPublicKey, rhs: SolanaPublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Text from the wire quoted in an error without echoing all of it.
enum SolanaText {
    static func quote(_ text: String) -> String {
        let head = text.unicodeScalars.prefix(48).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }
        return "'" + head.joined() + (text.unicodeScalars.count > 48 ? "…'" : "'")
    }
}
