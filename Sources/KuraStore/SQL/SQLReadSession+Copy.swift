import KuraCore

extension SQLReadSession {
    public func allBalances() throws(KuraError) -> [BalanceRow] {
        try connection.rows("SELECT account, asset, balance FROM balances ORDER BY account, asset", []) {
            row throws(KuraError) in BalanceRow(account: row.text(0), asset: row.text(1), units: row.int64(2))
        }
    }

    public func sideTableCounts() throws(KuraError) -> SideTableCounts {
        let counts = try connection.rows(
            "SELECT (SELECT count(*) FROM idempotency), (SELECT count(*) FROM nonces), (SELECT count(*) FROM checkpoints)",
            []
        ) { row throws(KuraError) in
            SideTableCounts(
                idempotencyRecords: Int(row.int64(0)), nonces: Int(row.int64(1)), checkpoints: Int(row.int64(2)))
        }
        return counts.first ?? SideTableCounts(idempotencyRecords: 0, nonces: 0, checkpoints: 0)
    }

    public func sideTables() throws(KuraError) -> SideTables {
        let idempotency = try connection.rows(
            "SELECT key, request_hash, response, seq FROM idempotency ORDER BY key", []
        ) { row throws(KuraError) in
            IdempotencyRecord(
                key: row.text(0), requestHash: row.bytes(1), response: row.bytes(2), seq: UInt64(row.int64(3)))
        }
        let nonces = try connection.rows("SELECT party, nonce, at FROM nonces ORDER BY party, nonce", []) {
            row throws(KuraError) in
            NonceRow(party: PartyID(unchecked: row.text(0)), nonce: row.text(1), at: row.int64(2))
        }
        let checkpoints = try connection.rows(
            "SELECT size, key_name, root, note FROM checkpoints ORDER BY size, key_name", []
        ) { row throws(KuraError) in
            CheckpointRow(size: UInt64(row.int64(0)), keyName: row.text(1), root: row.bytes(2), note: row.text(3))
        }
        return SideTables(idempotency: idempotency, nonces: nonces, checkpoints: checkpoints)
    }
}
