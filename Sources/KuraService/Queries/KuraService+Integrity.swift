import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// A digest of every read-model row, in a fixed order: equal digests mean equal projections.
    public func projectionDigest() throws(KuraError) -> String {
        try read { db throws(KuraError) in try Self.projectionDigest(db) }
    }

    static func projectionDigest(_ db: SQLiteConnection) throws(KuraError) -> String {
        var hasher = SHA256Hasher()
        let queries = [
            "SELECT id, seq, status, api_key_hash, json FROM parties ORDER BY id",
            "SELECT account, asset, balance FROM balances WHERE balance != 0 ORDER BY account, asset",
            "SELECT id, seq, payer, payee, state, asset, amount, due_at, json FROM escrows ORDER BY id",
            "SELECT idx, seq, kind, subject, payer, payee, json FROM receipts ORDER BY idx",
            "SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx",
            "SELECT id, seq, escrow, state, due_at, json FROM disputes ORDER BY id",
            "SELECT party, dispute, seated, seq FROM dispute_members ORDER BY party, dispute",
            "SELECT id, seq, agent, provider, state, due_at, json FROM channels ORDER BY id",
            "SELECT payer, payment_id, id, seq, payee, json FROM payments ORDER BY payer, payment_id",
            "SELECT party, state FROM reputation_parties ORDER BY party",
            "SELECT party, role, counterparty, positive, negative, tick FROM reputation_pairs ORDER BY party, role, counterparty",
            "SELECT id, size, root, last_at, model FROM reputation_log",
        ]
        for sql in queries + FacilitatorProjection.digestQueries {
            let statement = try db.statement(sql)
            try statement.bind([])
            while try statement.step() {
                var row: [String] = []
                for column in 0..<Int32(statement.columnCount) {
                    switch statement.value(column) {
                    case .null: row.append("null")
                    case .integer(let v): row.append(String(v))
                    case .text(let v): row.append(v)
                    case .blob(let v): row.append(Hex.encode(v))
                    }
                }
                hasher.update(Array((row.joined(separator: "\u{1F}") + "\n").utf8))
            }
        }
        return Hex.encode(hasher.finalize())
    }

    /// Rebuilds every read model from the log, in one transaction; returns the digests before and after.
    /// They are equal unless a read model had drifted from the log. `progress`, if given, hears the count of
    /// events replayed after each page (on the writer's thread).
    public func replay(progress: (@Sendable (UInt64) -> Void)? = nil) async throws(KuraError) -> (
        before: String, after: String, events: UInt64
    ) {
        let projector = KuraProjector()
        return try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> (String, String, UInt64) in
            let before = try Self.projectionDigest(tx.db)
            try projector.reset(tx.db)
            // Page through the log so a rebuild needs memory for one page, not the whole history.
            var count: UInt64 = 0
            while true {
                let page = try SQLiteEventStore.events(after: count, limit: 1000, tx.db)
                if page.isEmpty { break }
                for event in page { try projector.apply(event, decoded: nil, tx.db) }
                count += UInt64(page.count)
                progress?(count)
            }
            return (before, try Self.projectionDigest(tx.db), count)
        }
    }

    /// Ledger invariants over the balances read model: every asset sums to zero, no available or held
    /// balance is negative (a position's debt may be, and may never be positive). Empty when all hold.
    public func ledgerViolations() throws(KuraError) -> [String] {
        try read { db throws(KuraError) in
            var violations: [String] = []
            let sums = try db.statement(
                "SELECT asset, sum(balance) FROM balances GROUP BY asset HAVING sum(balance) != 0")
            for row in try sums.rows({ row throws(KuraError) in (row.text(0), row.int64(1)) }) {
                violations.append("asset \(row.0) sums to \(row.1), not 0")
            }
            let negative = try db.statement(
                "SELECT account, asset, balance FROM balances WHERE balance < 0 AND account != 'external'"
                    + " AND account NOT LIKE 'position/%/debt'")
            for row in try negative.rows({ row throws(KuraError) in (row.text(0), row.text(1), row.int64(2)) }) {
                violations.append("\(row.0) holds \(row.2) \(row.1)")
            }
            // A position's debt account is negative by what is owed; above zero, more was repaid than owed.
            let overpaid = try db.statement(
                "SELECT account, asset, balance FROM balances WHERE balance > 0 AND account LIKE 'position/%/debt'")
            for row in try overpaid.rows({ row throws(KuraError) in (row.text(0), row.text(1), row.int64(2)) }) {
                violations.append("\(row.0) holds \(row.2) \(row.1), above zero")
            }
            return violations
        }
    }
}
