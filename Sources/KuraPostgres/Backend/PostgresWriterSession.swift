import KuraCore
import KuraStore

/// The writer's PostgreSQL session. A batch is two round trips and the catch-up's reads: `BEGIN`, the
/// advisory lock and the head in one pipeline; then the batch's rows (the shared multi-row statements,
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

    func begin() throws(KuraError) -> LogHead {
        try connection.reconnectIfNeeded()
        do throws(KuraError) {
            return try lockAndReadHead()
        } catch  where error.code == .storageUnavailable && !connection.isConnected {
            // The session died while the writer was idle (a server restart); nothing was begun on it.
            try connection.reconnect()
            return try lockAndReadHead()
        }
    }

    /// READ COMMITTED on purpose: the head query takes its snapshot after the lock is granted, so it sees
    /// the batch the previous lock holder committed. (REPEATABLE READ would fix the snapshot at the lock
    /// statement, before the wait.)
    private func lockAndReadHead() throws(KuraError) -> LogHead {
        var batch = PostgresBatch()
        batch.append("BEGIN ISOLATION LEVEL READ COMMITTED")
        batch.append("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.lockKey)])
        batch.append("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        let results = try connection.run(batch)
        let head = results[2]
        guard head.count > 0 else { return .empty }
        return LogHead(seq: UInt64(head.int64(0, 0)), hash: head.bytes(0, 1))
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

    func resetReadModels(_ tables: [String]) throws(KuraError) {
        for table in tables {
            guard SQLSchema.readModelTables.contains(table) else {
                throw KuraError(.internalError, "\(table) is not a read-model table")
            }
            try connection.execute("DELETE FROM \(table)")
        }
    }

    /// Closes the session as the writer stops, not when its last reference goes.
    func close() { connection.close() }
}
