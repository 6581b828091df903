import KuraCore
import KuraStore

/// The writer's PostgreSQL session. A batch is two round trips: `BEGIN`, the advisory lock, the head and the
/// first pages of another node's tail in one pipeline; then the batch's rows (the shared multi-row statements,
/// deferred) and `COMMIT` in another.
///
/// A lost session fails the batch with `storage_unavailable` (nothing is acknowledged); the next batch
/// reconnects, so the writer recovers by itself once the server is back. If the session is lost during
/// `COMMIT`, the batch may or may not have committed: its callers got 503, a retry with the same
/// Idempotency-Key finds the recorded answer, and the writer's next `begin()` sees the head it did not
/// expect and catches up, as for any other node's events.
final class PostgresWriterSession: WriterSession {
    let connection: PostgresConnection
    let reads: any ReadSession
    private let writer: SQLBatchWriter

    init(_ url: PostgresURL, sessionSetup: String) throws(KuraError) {
        connection = try PostgresConnection(url, sessionSetup: sessionSetup)
        reads = SQLReadSession(connection)
        writer = SQLBatchWriter(connection)
    }

    func begin() throws(KuraError) -> LogHead { try begin(after: nil).head }

    func begin(after known: LogPosition?) throws(KuraError) -> BatchStart {
        try connection.reconnectIfNeeded()
        do throws(KuraError) {
            return try lockAndRead(after: known)
        } catch  where error.code == .storageUnavailable && !connection.isConnected {
            // The session died while the writer was idle (a server restart); nothing was begun on it.
            try connection.reconnect()
            return try lockAndRead(after: known)
        }
    }

    /// READ COMMITTED on purpose: each statement after the lock takes its snapshot once the lock is granted,
    /// so the head and the tail see the batch the previous lock holder committed, and nothing can commit
    /// between them. (REPEATABLE READ would fix the snapshot at the lock statement, before the wait.) The
    /// tail's first pages ride in the same pipeline: with several nodes each batch catches up on the others',
    /// and reading them after the lock cost two more round trips while holding it (issue 16).
    private func lockAndRead(after known: LogPosition?) throws(KuraError) -> BatchStart {
        var batch = PostgresBatch()
        batch.append("BEGIN ISOLATION LEVEL READ COMMITTED")
        batch.append("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.lockKey)])
        batch.append("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        batch.append(SQLSchema.readModelEpochSQL)
        let tail = known.map(SQLReadSession.tailQueries(after:)) ?? []
        for query in tail { batch.append(query.sql, query.bindings) }
        let results = try connection.run(batch)
        let head = results[2]
        let epoch = results[3]
        var start = BatchStart(
            head: head.count > 0 ? LogHead(seq: UInt64(head.int64(0, 0)), hash: head.bytes(0, 1)) : .empty,
            readModelEpoch: epoch.count > 0 ? epoch.int64(0, 0) : nil)
        if tail.count > 0 { start.events = try Self.rows(results[4], SQLReadSession.tailEvent) }
        if tail.count > 1 {
            start.receipts = ReceiptTail(
                receipts: try Self.rows(results[5], SQLReadSession.receiptRow),
                parties: try Self.rows(results[6], SQLReadSession.reputationPartyRow),
                pairs: try Self.rows(results[7], SQLReadSession.reputationPairRow))
        }
        return start
    }

    private static func rows<T>(_ rows: PostgresRows, _ map: (any SQLRow) throws(KuraError) -> T) throws(KuraError)
        -> [T]
    {
        var out: [T] = []
        out.reserveCapacity(rows.count)
        for index in 0..<rows.count { out.append(try map(PostgresRow(rows: rows, index: index))) }
        return out
    }

    func write(_ batch: BatchWrite) throws(KuraError) {
        connection.defersRuns = true
        defer { connection.defersRuns = false }
        try writer.write(batch)
    }

    func commit() throws(KuraError) {
        let result = try connection.result("COMMIT")
        // COMMIT of a transaction that failed earlier answers ROLLBACK rather than an error.
        guard result.commandStatus == "COMMIT" else {
            throw KuraError(.storageFailure, "the batch's transaction was rolled back (\(result.commandStatus))")
        }
    }

    func rollback() {
        connection.discardDeferred()
        if connection.isConnected && connection.inTransaction { try? connection.execute("ROLLBACK") }
    }

    func resetReadModels(_ models: ReadModelSet) throws(KuraError) {
        try SQLSchema.resetReadModels(models, on: connection)
    }

    /// Closes the session as the writer stops, not when its last reference goes.
    func close() { connection.close() }
}
