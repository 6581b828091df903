import KuraCore
import KuraCrypto
import KuraStore

/// Meishi reputation kept current as receipts are appended, in the same transaction: each receipt costs
/// O(1) row reads and writes (its two parties' states, their two counterparty pairs, one log row), so a
/// report at the current tree size is a single-row read.
///
/// The fold is ``ReputationFold``, the same code `kura reputation compute` runs offline, so the rows
/// always equal a fresh fold over the receipts. `reputation_log` holds the tree size the rows are at, the
/// root of that tree, the last receipt's time and the model they were computed with.
struct ReputationProjection: Sendable {
    let model: ReputationModel

    static let tables = ["reputation_parties", "reputation_pairs", "reputation_log"]

    static let schema = """
        CREATE TABLE IF NOT EXISTS reputation_parties(party TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS reputation_pairs(
            party TEXT NOT NULL, role TEXT NOT NULL, counterparty TEXT NOT NULL, positive INTEGER NOT NULL,
            negative INTEGER NOT NULL, tick INTEGER NOT NULL, PRIMARY KEY(party, role, counterparty)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS reputation_log(
            id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL, last_at INTEGER NOT NULL,
            model TEXT NOT NULL);
        """

    /// Creates the tables; if they do not match the receipts (a database from before reputation, or one
    /// folded with another model), rebuilds them from the receipts table.
    func prepare(_ db: SQLiteConnection) throws(KuraError) {
        try db.execute(Self.schema)
        let statement = try db.statement("SELECT size, model FROM reputation_log WHERE id = 1")
        try statement.bind([])
        let stored = try statement.rows { row throws(KuraError) in (row.int64(0), row.text(1)) }.first
        let size = Int64(try ReceiptLog.size(db))
        let model = try modelText()
        if stored?.0 ?? 0 == size && (size == 0 || stored?.1 == model) { return }
        try rebuild(db)
    }

    /// Empties the tables and folds every stored receipt again.
    func rebuild(_ db: SQLiteConnection) throws(KuraError) {
        try reset(db)
        var appender = MerkleAppender()
        var after: Int64 = -1
        while true {
            let statement = try db.statement("SELECT idx, json FROM receipts WHERE idx > ? ORDER BY idx LIMIT 1000")
            try statement.bind([.integer(after)])
            let page = try statement.rows { row throws(KuraError) in (row.int64(0), row.text(1)) }
            if page.isEmpty { return }
            for (index, json) in page {
                let receipt = try Queries.decode(Receipt.self, json)
                appender.append(leaf: Array(json.utf8))
                try apply(receipt, root: appender.root, db)
                after = index
            }
        }
    }

    func reset(_ db: SQLiteConnection) throws(KuraError) {
        for table in Self.tables { try db.execute("DELETE FROM \(table)") }
    }

    /// Folds one appended receipt; `root` is the tree's root with it.
    func apply(_ receipt: Receipt, root: [UInt8], _ db: SQLiteConnection) throws(KuraError) {
        for (party, role, counterparty) in ReputationFold.roles(of: receipt) {
            var state = try Self.state(party, db) ?? PartyReputation()
            var pair = try Self.pair(party, role, counterparty, db) ?? Evidence()
            if role == .provider {
                ReputationFold.fold(receipt, role: role, into: &state.provider, pair: &pair, model: model)
            } else {
                ReputationFold.fold(receipt, role: role, into: &state.payer, pair: &pair, model: model)
            }
            try db.run(
                "INSERT OR REPLACE INTO reputation_parties(party, state) VALUES (?, ?)", .text(party.rawValue),
                .blob(state.storageBytes))
            if !pair.isEmpty {
                try db.run(
                    "INSERT OR REPLACE INTO reputation_pairs(party, role, counterparty, positive, negative, tick) "
                        + "VALUES (?, ?, ?, ?, ?, ?)",
                    .text(party.rawValue), .text(role.rawValue), .text(counterparty.rawValue),
                    .integer(Int64(pair.positive)), .integer(Int64(pair.negative)), .integer(Int64(pair.tick)))
            }
        }
        try db.run(
            "INSERT INTO reputation_log(id, size, root, last_at, model) VALUES (1, ?, ?, ?, ?) "
                + "ON CONFLICT(id) DO UPDATE SET size = excluded.size, root = excluded.root, "
                + "last_at = excluded.last_at, model = excluded.model",
            .integer(Int64(receipt.index) + 1), .blob(root), .integer(receipt.at.milliseconds), .text(try modelText()))
    }

    static func state(_ party: PartyID, _ db: SQLiteConnection) throws(KuraError) -> PartyReputation? {
        guard
            let bytes = try db.scalar("SELECT state FROM reputation_parties WHERE party = ?", .text(party.rawValue))?
                .blob
        else { return nil }
        return try PartyReputation(storage: bytes)
    }

    private static func pair(_ party: PartyID, _ role: ReputationRole, _ counterparty: PartyID, _ db: SQLiteConnection)
        throws(KuraError) -> Evidence?
    {
        let statement = try db.statement(
            "SELECT positive, negative, tick FROM reputation_pairs WHERE party = ? AND role = ? AND counterparty = ?")
        try statement.bind([.text(party.rawValue), .text(role.rawValue), .text(counterparty.rawValue)])
        return try statement.rows { row throws(KuraError) in
            Evidence(
                positive: UInt64(row.int64(0)), negative: UInt64(row.int64(1)), tick: UInt64(row.int64(2)))
        }.first
    }

    func modelText() throws(KuraError) -> String { try Self.text(model) }

    static func text(_ value: some Encodable) throws(KuraError) -> String {
        do { return String(decoding: try JSONValue(encoding: value).canonicalBytes(), as: UTF8.self) } catch {
            throw KuraError(.internalError, "cannot encode reputation state: \(error.reason)")
        }
    }
}
