import KuraCore
import KuraCrypto
import KuraStore

/// Reads of the facilitator's read models (reservations, mandates, positions, prices), on a read connection or
/// inside a write transaction, where they show the commands ordered before.
enum FacilitatorQueries {
    /// A command reads a row and the projector reads the same row again to apply the event, so decoding is
    /// memoised by the exact stored text (a changed row is new text: a cached answer is never stale).
    static let reservations = DecodeCache<Reservation>()
    static let mandates = DecodeCache<Mandate>()
    static let positions = DecodeCache<Position>()

    static func reservation(_ id: ReservationID, _ db: SQLiteConnection) throws(KuraError) -> Reservation? {
        guard let json = try db.scalar("SELECT json FROM reservations WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try reservations.value(json)
    }

    /// The stored answer of a settled reservation's first settle (`idempotent: false` as stored).
    static func settlement(_ id: ReservationID, _ db: SQLiteConnection) throws(KuraError) -> ReservationSettleResponse?
    {
        guard let json = try db.scalar("SELECT settlement FROM reservations WHERE id = ?", .text(id.rawValue))?.text
        else { return nil }
        return try Queries.decode(ReservationSettleResponse.self, json)
    }

    static func mandate(_ id: MandateID, _ db: SQLiteConnection) throws(KuraError) -> Mandate? {
        guard let json = try db.scalar("SELECT json FROM mandates WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try mandates.value(json)
    }

    static func position(_ id: PositionID, _ db: SQLiteConnection) throws(KuraError) -> Position? {
        guard let json = try db.scalar("SELECT json FROM positions WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try positions.value(json)
    }

    static func price(base: Asset, quote: Asset, _ db: SQLiteConnection) throws(KuraError) -> Price? {
        guard
            let json = try db.scalar(
                "SELECT json FROM prices WHERE base = ? AND quote = ?", .text(base.name), .text(quote.name))?.text
        else { return nil }
        return try Queries.decode(Price.self, json)
    }

    /// The `(base, quote)` key positions are indexed by, to find those a price concerns.
    static func pair(_ base: Asset, _ quote: Asset) -> String { base.name + "/" + quote.name }

    /// IDs of the rows of `sql` (one text column), in order.
    static func ids<ID: KuraIdentifier>(_ sql: String, _ bindings: [SQLiteValue], _ db: SQLiteConnection)
        throws(KuraError) -> [ID]
    {
        let statement = try db.statement(sql)
        try statement.bind(bindings)
        return try statement.rows { row throws(KuraError) in ID(unchecked: row.text(0)) }
    }
}
