import KuraCrypto

/// What an arbiter signs: the canonical JSON (RFC 8785) of this object, with Ed25519 over those bytes.
///
/// Wire shape: `{"type": "kura.ruling.v1", "disputeId", "round", "arbiter", "refundBps" | "quality",
/// "reasonSha256", "at"}`. Exactly one of `refundBps` (0–10000, the share refunded to the payer) and
/// `quality` (0–100, mapped by ``RulingStatement/refundBps(forQuality:)``) is present. `reasonSha256` is the
/// lowercase hex SHA-256 of the written reason's UTF-8 bytes, so the signature covers the reason too.
public struct RulingStatement: Sendable, Equatable, Hashable, Codable {
    /// The `type` member: separates rulings from anything else a key might sign.
    public static let typeName = "kura.ruling.v1"
    /// Its members: anything else in a request is refused (``StrictRequest/nestedFields``).
    public static let fields: Set<String> = [
        "type", "disputeId", "round", "arbiter", "refundBps", "quality", "reasonSha256", "at",
    ]

    public var type: String = Self.typeName
    public var disputeId: DisputeID
    public var round: Int
    public var arbiter: PartyID
    public var refundBps: Int?
    public var quality: Int?
    public var reasonSha256: String
    /// When the arbiter signed (epoch ms, the arbiter's clock).
    public var at: Timestamp

    /// A statement for a written reason; the digest is computed here.
    public init(
        disputeId: DisputeID, round: Int, arbiter: PartyID, refundBps: Int? = nil, quality: Int? = nil,
        reason: String, at: Timestamp
    ) {
        self.disputeId = disputeId
        self.round = round
        self.arbiter = arbiter
        self.refundBps = refundBps
        self.quality = quality
        self.reasonSha256 = Self.digest(of: reason)
        self.at = at
    }

    /// The hex SHA-256 of a reason's UTF-8 bytes.
    public static func digest(of reason: String) -> String { Hex.encode(SHA256.hash(Array(reason.utf8))) }

    /// The bytes that are signed.
    public func signingBytes() throws(KuraError) -> [UInt8] {
        do { return try JSONValue.canonicalBytes(encoding: self) } catch {
            throw KuraError(.invalidRequest, "the ruling does not encode as canonical JSON: \(error.reason)")
        }
    }

    /// Signs the statement with the arbiter's key; the signature is what `/rulings` takes, in base64.
    public func signed(with key: Ed25519.SecretKey) throws(KuraError) -> [UInt8] {
        key.signature(for: try signingBytes())
    }

    /// The refund a statement asks for: its `refundBps`, or its `quality` through the refund table.
    /// Checks that exactly one is given and in range.
    public func requestedRefundBps() throws(KuraError) -> Int {
        switch (refundBps, quality) {
        case (let bps?, nil):
            guard (0...10_000).contains(bps) else { throw KuraError(.invalidRequest, "refundBps must be 0-10000") }
            return bps
        case (nil, let quality?):
            guard (0...100).contains(quality) else { throw KuraError(.invalidRequest, "quality must be 0-100") }
            return Self.refundBps(forQuality: quality)
        default:
            throw KuraError(.invalidRequest, "a ruling gives exactly one of refundBps and quality")
        }
    }

    /// DESIGN section 5's refund table: quality 0–49 → 100 %, 50–64 → 75 %, 65–79 → 35 %, 80–100 → 0 %.
    public static func refundBps(forQuality quality: Int) -> Int {
        switch quality {
        case ..<50: 10_000
        case 50..<65: 7_500
        case 65..<80: 3_500
        default: 0
        }
    }
}

/// An accepted ruling, as the log keeps it: the statement, its signature, and the written reason.
public struct Ruling: Sendable, Equatable, Hashable, Codable {
    public var round: Int
    public var arbiter: PartyID
    /// The refund this arbiter decided, in basis points (after the quality table, if quality was given).
    public var refundBps: Int
    public var quality: Int?
    public var reason: String
    public var reasonSha256: String
    /// Standard base64 of the Ed25519 signature over the statement's canonical JSON.
    public var signature: String
    /// The arbiter's signing time, as signed.
    public var signedAt: Timestamp
    /// When Kura accepted it.
    public var at: Timestamp

    /// The statement that was signed, rebuilt from the record: anyone holding the arbiter's key can re-check it.
    public func statement(disputeId: DisputeID) -> RulingStatement {
        var statement = RulingStatement(
            disputeId: disputeId, round: round, arbiter: arbiter, refundBps: quality == nil ? refundBps : nil,
            quality: quality, reason: reason, at: signedAt)
        statement.reasonSha256 = reasonSha256
        return statement
    }
}
