import CSQLite
import Foundation
import KuraCore

/// Copies committed WAL frames into the database file on its own thread and connection, so the writer's
/// commits never pay for a checkpoint (SQLite's automatic checkpoint would run inside a commit, doing
/// a thousand page reads, writes and an fsync while every queued command waits).
///
/// PASSIVE checkpoints never block the writer or readers. SQLite restarts the WAL from its beginning when a
/// write begins with every frame copied and no reader needing the old ones; under steady load that moment
/// never comes from this thread alone, so past a length the writer finishes the copy itself
/// (``SQLiteBackend/Configuration/defaultWriterCheckpointFrames``).
///
/// Every 25 ms: each checkpoint ends in an fsync of the database file, and the pages it writes out compete on
/// the disk with the writer's commits. Every 100 ms, a tenth of a second of random B-tree pages went out at
/// once and slowed the commits around it (escrows' p99 31–41 ms); every 25 ms the bursts are a quarter as large
/// (p99 22–31 ms, the same rate), every 10 ms the checkpointer's CPU cost the rate 15 % (Docs/performance.md).
final class WALCheckpointer: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let condition = NSCondition()
    private var stopped = false
    private var running = true
    private let interval: TimeInterval

    init(path: String, interval: TimeInterval = 0.025) throws(KuraError) {
        connection = try SQLiteConnection(path: path, create: false)
        // A connection that has not read the file yet does not know it is in WAL mode, and checkpointing
        // it would silently do nothing: read once first.
        try connection.execute("PRAGMA busy_timeout = 1000; SELECT count(*) FROM meta;")
        self.interval = interval
        let thread = Thread { [self] in
            ThreadName.setCurrent("kura-checkpoint")
            self.run()
        }
        thread.start()
    }

    private func run() {
        condition.lock()
        while !stopped {
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            if stopped { break }
            condition.unlock()
            // Errors (e.g. SQLITE_BUSY while another process checkpoints) are harmless: try again later.
            sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
        }
        // Closed before `stop()` returns, like every connection of a closed backend.
        connection.close()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the thread after its current checkpoint.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
