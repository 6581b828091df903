import KuraCore
import KuraCrypto
import KuraStore
import KuraX402

/// What the facilitator recorded when it settled one Kura-scheme authorization: enough to answer a repeat of
/// the same authorization (or of the same payment identifier and payload) with the first answer, and to refuse
/// a second use of the nonce. One per (payer, nonce): stream `x402/<payer>/<nonce>`.
public struct X402Settlement: Codable, Sendable, Equatable {
    /// `exact` or `escrow`.
    public var scheme: String
    /// The payer who signed.
    public var payer: PartyID
    /// The authorization's nonce (64 lowercase hex digits).
    public var nonce: String
    /// Lowercase hex SHA-256 of the authorization's signed bytes: the same authorization has the same hash.
    public var authorizationHash: String
    /// The payment-identifier extension's `id`, when the payment carried one.
    public var paymentIdentifier: String?
    /// Lowercase hex SHA-256 of the canonical JSON of the whole `paymentPayload`.
    public var payloadHash: String
    /// What the settlement made: the direct payment `pmt_…` (`exact`) or the escrow `esc_…` (`escrow`).
    public var subject: String
    /// The answer given, returned again to a repeat.
    public var response: SettleResponse

    /// The stream of a payer's nonce.
    public static func stream(payer: PartyID, nonce: String) -> String { "x402/\(payer)/\(nonce)" }
}

/// The facilitator's event: `x402.settled`, beside the `payment.settled` or `escrow.locked` event that moved the
/// money, in the same command. It carries no postings.
enum X402Event: DomainEvent, Sendable, Equatable {
    case settled(X402Settlement)

    var type: String { "x402.settled" }

    var settlement: X402Settlement {
        switch self {
        case .settled(let settlement): settlement
        }
    }

    var payload: JSONValue {
        switch self {
        // Strings and in-range integers only: encoding cannot fail.
        case .settled(let settlement): (try? JSONValue(encoding: settlement)) ?? .null
        }
    }

    init(type: String, payload: JSONValue) throws(KuraError) {
        guard type == "x402.settled" else { throw KuraError(.internalError, "unknown event type \(type)") }
        self = .settled(try payload.decoded(as: X402Settlement.self))
    }
}

/// The `x402_settlements` read model: one row per settled nonce, the payment identifier unique per payer.
enum X402Projection {
    static let schema = """
        CREATE TABLE IF NOT EXISTS x402_settlements(
            payer TEXT NOT NULL, nonce TEXT NOT NULL, payment_identifier TEXT, seq INTEGER NOT NULL,
            json TEXT NOT NULL, PRIMARY KEY(payer, nonce));
        CREATE UNIQUE INDEX IF NOT EXISTS x402_settlements_by_identifier
            ON x402_settlements(payer, payment_identifier) WHERE payment_identifier IS NOT NULL;
        """

    static func apply(_ event: X402Event, _ envelope: Event, _ db: SQLiteConnection) throws(KuraError) {
        let settlement = event.settlement
        try db.run(
            "INSERT INTO x402_settlements(payer, nonce, payment_identifier, seq, json) VALUES (?, ?, ?, ?, ?)",
            .text(settlement.payer.rawValue), .text(settlement.nonce),
            settlement.paymentIdentifier.map { .text($0) } ?? .null, .integer(Int64(envelope.seq)),
            .text(try KuraProjector.text(.of(settlement))))
    }

    /// The settlement of a payer's nonce, if any.
    static func settlement(payer: PartyID, nonce: String, _ db: SQLiteConnection) throws(KuraError)
        -> X402Settlement?
    {
        try one("SELECT json FROM x402_settlements WHERE payer = ? AND nonce = ?", payer, nonce, db)
    }

    /// The settlement a payer made under a payment identifier, if any.
    static func settlement(payer: PartyID, identifier: String, _ db: SQLiteConnection) throws(KuraError)
        -> X402Settlement?
    {
        try one("SELECT json FROM x402_settlements WHERE payer = ? AND payment_identifier = ?", payer, identifier, db)
    }

    private static func one(_ sql: String, _ payer: PartyID, _ key: String, _ db: SQLiteConnection)
        throws(KuraError) -> X402Settlement?
    {
        let statement = try db.statement(sql)
        try statement.bind([.text(payer.rawValue), .text(key)])
        guard let text = try statement.rows({ row throws(KuraError) in row.text(0) }).first else { return nil }
        return try Queries.decode(X402Settlement.self, text)
    }
}
