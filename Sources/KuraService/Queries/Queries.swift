import KuraCore
import KuraCrypto
import KuraStore

/// Reads of the read models, usable on a read connection or inside a write transaction.
enum Queries {
    /// Parties are read on every request (authentication, authorization); their stored JSON changes
    /// only with their status. Decoding is keyed by that exact text, so a cached answer is never stale,
    /// whichever process changed the row.
    static let partyCache = DecodeCache<Party>()

    static func party(_ id: PartyID, _ db: SQLiteConnection) throws(KuraError) -> Party? {
        guard let json = try db.scalar("SELECT json FROM parties WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try partyCache.value(json)
    }

    /// The party, or `not_found`.
    static func requireParty(_ id: PartyID, _ db: SQLiteConnection) throws(KuraError) -> Party {
        guard let party = try party(id, db) else { throw KuraError(.notFound, "no party \(id)") }
        return party
    }

    static func party(apiKeyHash: String, _ db: SQLiteConnection) throws(KuraError) -> Party? {
        guard let json = try db.scalar("SELECT json FROM parties WHERE api_key_hash = ?", .text(apiKeyHash))?.text
        else { return nil }
        return try partyCache.value(json)
    }

    /// The parties whose current signing key is `publicKey`: none or one, except in a database from before
    /// keys were unique (registration and rotation now refuse a key another party holds). Served by the
    /// `parties_by_key` index on the same expression.
    static func parties(holding publicKey: Ed25519.PublicKey, _ db: SQLiteConnection) throws(KuraError) -> [PartyID] {
        let statement = try db.statement(
            "SELECT id FROM parties WHERE json_extract(json, '$.publicKey') = ? ORDER BY seq")
        try statement.bind([.text(publicKey.base64)])
        return try statement.rows { row throws(KuraError) in PartyID(unchecked: row.text(0)) }
    }

    static func partyCount(_ db: SQLiteConnection) throws(KuraError) -> Int {
        Int(try db.scalar("SELECT count(*) FROM parties")?.int64 ?? 0)
    }

    static func escrow(_ id: EscrowID, _ db: SQLiteConnection) throws(KuraError) -> Escrow? {
        guard let json = try db.scalar("SELECT json FROM escrows WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try decode(Escrow.self, json)
    }

    static func balance(_ account: AccountName, _ asset: Asset, _ db: SQLiteConnection) throws(KuraError) -> Int64 {
        try db.scalar(
            "SELECT balance FROM balances WHERE account = ? AND asset = ?", .text(account.rawValue), .text(asset.name)
        )?.int64 ?? 0
    }

    static func available(_ party: PartyID, _ asset: Asset, _ db: SQLiteConnection) throws(KuraError) -> Amount {
        let units = try balance(.available(party), asset, db)
        guard units >= 0 else { throw KuraError(.internalError, "negative available balance for \(party)") }
        return try Amount(units: UInt64(units))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws(KuraError) -> T {
        do { return try JSONValue.parse(json).decode(T.self) } catch {
            throw KuraError(.internalError, "stored \(T.self) does not decode: \(error.reason)")
        }
    }
}

/// Memoises the decoding of stored JSON text: the same text always decodes to the same value.
final class DecodeCache<Value: Decodable & Sendable>: @unchecked Sendable {
    private var values: [String: Value] = [:]
    private let lock = NSLockLike()
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func value(_ json: String) throws(KuraError) -> Value {
        if let hit = lock.withLock({ values[json] }) { return hit }
        let value = try Queries.decode(Value.self, json)
        lock.withLock {
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[json] = value
        }
        return value
    }
}
