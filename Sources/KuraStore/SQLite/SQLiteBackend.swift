import CSQLite
import Foundation
import KuraCore

/// The embedded default backend: one SQLite file in WAL mode, `synchronous=FULL` by default, one writer
/// connection (``SQLiteWriterSession``), reader threads with their own connections in lanes
/// (``ReaderLanes``), and WAL checkpoints on a thread of their own.
///
/// Several processes may open one file (a CLI beside a running server): each batch takes SQLite's write
/// lock with `BEGIN IMMEDIATE`, and the writer catches up on the log tail another process appended.
public final class SQLiteBackend: StorageBackend, @unchecked Sendable {
    /// How the backend opens its file.
    public struct Configuration: Sendable {
        /// The database file.
        public var path: String
        /// Create the file and schema if missing; otherwise a missing file is an error.
        public var create: Bool
        /// `FULL` fsyncs every commit (a settled payment survives power loss); `NORMAL` is for benchmarks.
        public var durable: Bool
        /// The reader lanes.
        public var readers: ReaderLanes.Configuration
        /// The writer connection's SQLite page cache, in KiB. Each read connection keeps at most
        /// ``readerPageCacheKiB`` (about SQLite's own default) or this, whichever is smaller, so the page caches
        /// of a backend hold at most `pageCacheKiB + readers × min(pageCacheKiB, 2048)` KiB.
        public var pageCacheKiB: Int = Configuration.defaultPageCacheKiB

        /// The WAL length, in frames (pages), past which the writer checkpoints after its commit; see
        /// ``defaultWriterCheckpointFrames``. Zero leaves every checkpoint to the background thread.
        public var writerCheckpointFrames: Int = Configuration.defaultWriterCheckpointFrames

        /// The writer's page cache unless configured: 64 MiB, so that the pages group commits touch stay cached.
        public static let defaultPageCacheKiB = 65_536
        /// 65,536 frames (256 MiB of WAL) unless configured.
        ///
        /// SQLite starts the WAL again from its beginning only when a write transaction begins with every frame
        /// already copied into the database. The background checkpointer (``WALCheckpointer``) copies frames,
        /// but under steady load the writer has always committed new ones by the time it finishes, so the WAL
        /// grew for as long as the load lasted (80 MB/s in the escrow benchmark), and every commit extended the
        /// file: block allocation, zeroed pages and a journaled size change in each `fdatasync`. Past this
        /// length the writer's own passive checkpoint copies what the background one has not yet (a batch or
        /// two) so the next batch restarts the WAL and writes over pages the kernel already holds.
        ///
        /// A longer cycle copies the pages many batches touch (the tails of the tables and their sequential
        /// indexes, the B-trees' inner pages) fewer times: at 4,096 frames the escrow benchmark wrote 28 KB per
        /// escrow, at 16,384 24 KB, and served 3–15 % more (Docs/performance.md). At 1,024 it wrote 34 KB; at
        /// 65,536 it wrote the least but the writer's CPU per escrow rose and the p99 doubled (with the background
        /// checkpoint every 100 ms). Since that runs every 25 ms, the writer's own checkpoint copies little, and
        /// each cycle's end (its checkpoint, then the WAL's restart) is a stall that every request in flight waits
        /// for: doing it half as often took 1–3.5 ms off the escrows' p99 at 32,768 frames (20.7–22.2 ms against
        /// 23.1–24.5 ms at 16,384, and 23.1–25.4 at 8,192), and half as often again 2–11 ms more at 65,536
        /// (18.5–20.6 ms against 21.9–31.6 ms in four alternations, the same rate and writer CPU). The WAL file
        /// grows to about 270 MB under load (the cycle's frames of 4,120 bytes each, and the batches past it).
        public static let defaultWriterCheckpointFrames = 65_536
        /// The most page cache each read connection keeps, in KiB (SQLite's default is 2,000 KiB).
        public static let readerPageCacheKiB = 2_048

        /// Creates a configuration with the safe defaults.
        public init(
            path: String, create: Bool = false, durable: Bool = true,
            readers: ReaderLanes.Configuration = ReaderLanes.Configuration()
        ) {
            self.path = path
            self.create = create
            self.durable = durable
            self.readers = readers
        }
    }

    /// The format name written in the `meta` table; other SQLite files are refused.
    public static let format = SQLSchema.format

    public let configuration: Configuration
    private let lanes: ReaderLanes
    private let checkpointer: WALCheckpointer
    private let closed = NSLock()
    private var isClosed = false

    /// Opens (or creates) the file and its schema.
    public init(_ configuration: Configuration) throws(KuraError) {
        let path = configuration.path
        if !configuration.create {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw KuraError(.notFound, "no database at \(path) (create one with `kura init --db \(path)`)")
            }
            guard !isDirectory.boolValue else { throw KuraError(.invalidRequest, "\(path) is a directory") }
        }
        guard configuration.pageCacheKiB > 0 else {
            throw KuraError(.invalidRequest, "the page cache must be at least 1 KiB, not \(configuration.pageCacheKiB)")
        }
        self.configuration = configuration
        do {
            let setup = try SQLiteConnection(path: path, create: configuration.create)
            try Self.prepare(setup, configuration)
        }
        lanes = try ReaderLanes(configuration.readers, name: "kura-rd") { () throws(KuraError) -> any ReadSession in
            let reader = try SQLiteConnection(path: path, create: false)
            // A negative cache_size is in KiB (a positive one would count pages).
            try reader.execute(
                """
                PRAGMA busy_timeout = 10000; PRAGMA query_only = 1;
                PRAGMA cache_size = -\(min(configuration.pageCacheKiB, Configuration.readerPageCacheKiB));
                """)
            return SQLReadSession(reader)
        }
        checkpointer = try WALCheckpointer(path: path)
    }

    deinit { close() }

    public func makeWriterSession() throws(KuraError) -> any WriterSession {
        try SQLiteWriterSession(configuration)
    }

    public func read<T: Sendable>(
        _ lane: ReadLane, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        try await lanes.read(lane) { session throws(KuraError) -> T in
            // One snapshot for the whole body: a read transaction holds the WAL position it started at. Its
            // statements are the connection's prepared ones: `execute` parsed them again for every read.
            let connection = (session as! SQLReadSession).connection
            try connection.run("BEGIN", [])
            do throws(KuraError) {
                let value = try body(session)
                try connection.run("COMMIT", [])
                return value
            } catch {
                try? connection.run("ROLLBACK", [])
                throw error
            }
        }
    }

    /// `body` on every reader's connection, each once (``ReaderLanes/everyReader(_:)``): for tests and
    /// diagnostics, such as each connection's page cache and prepared statements.
    public func everyReaderConnection<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(KuraError) -> T
    ) async throws(KuraError) -> [T] {
        try await lanes.everyReader { session throws(KuraError) -> T in
            try body((session as! SQLReadSession).connection as! SQLiteConnection)
        }
    }

    /// Reads waiting on a lane.
    public func waiting(_ lane: ReadLane) -> Int { lanes.waiting(lane) }

    public func close() {
        closed.lock()
        defer { closed.unlock() }
        guard !isClosed else { return }
        isClosed = true
        lanes.stop()
        checkpointer.stop()
    }

    /// Checks that the file is a Kura database (or an empty file to create one in), sets WAL mode and creates
    /// the schema, without changing a foreign file in any way.
    private static func prepare(_ db: SQLiteConnection, _ configuration: Configuration) throws(KuraError) {
        try db.execute("PRAGMA busy_timeout = 10000")
        let hasMeta = try db.scalar("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'")?.int64 ?? 0
        if hasMeta == 0 {
            let tables = try db.scalar("SELECT count(*) FROM sqlite_master")?.int64 ?? 0
            guard configuration.create, tables == 0 else {
                throw KuraError(.unsupportedDatabase, "\(configuration.path) is an SQLite file but not a Kura database")
            }
        } else {
            // Another program's `meta` table is not enough: check the format before changing anything
            // (journal mode, tables), or a foreign file would be converted into a Kura log.
            let found = try? db.scalar("SELECT value FROM meta WHERE key='format'")?.text
            guard found == format else {
                throw KuraError(.unsupportedDatabase, "\(configuration.path) is an SQLite file but not a Kura database")
            }
        }
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("BEGIN IMMEDIATE")
        do throws(KuraError) {
            for statement in SQLSchema.statements(.sqlite) + SQLSchema.upgrades + SQLSchema.readModelEpoch
                + SQLSchema.holdsOnAggregates
            {
                try db.execute(statement)
            }
            try db.execute(triggers)
            try db.run("INSERT OR IGNORE INTO meta(key, value) VALUES ('format', ?)", .text(format))
            let found = try db.scalar("SELECT value FROM meta WHERE key='format'")?.text
            guard found == format else {
                throw KuraError(.unsupportedDatabase, "database format \(found ?? "?") is not \(format)")
            }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The log is append-only: the database itself refuses to change or remove an event. And a hold kept on its
    /// escrow's or reservation's row gets no balance row: an older build writing one (a downgrade) fails its batch
    /// rather than decide on a hold it cannot see.
    static let triggers = """
        CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS balances_refuse_kept_holds BEFORE INSERT ON balances
            WHEN NEW.account LIKE 'escrow/%/held' OR NEW.account LIKE 'reservation/%/held'
            BEGIN SELECT RAISE(ABORT, 'holds of escrows and reservations are kept on their rows: an older build?'); END;
        """
}

/// The writer's SQLite connection: `BEGIN IMMEDIATE` per batch, the batch written with the shared multi-row
/// statements, `COMMIT` (an fsync of the WAL with `synchronous=FULL`).
final class SQLiteWriterSession: WriterSession {
    let connection: SQLiteConnection
    let reads: any ReadSession
    private let writer: SQLBatchWriter

    init(_ configuration: SQLiteBackend.Configuration) throws(KuraError) {
        // Durable: every commit syncs the WAL, which is when the coalescing VFS writes the commit's frames.
        connection = try SQLiteConnection(
            path: configuration.path, create: false, coalescingWAL: configuration.durable)
        try connection.execute("PRAGMA busy_timeout = 10000")
        try connection.execute("PRAGMA synchronous = \(configuration.durable ? "FULL" : "NORMAL")")
        try connection.execute("PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(configuration.pageCacheKiB)")
        // Checkpoints run on their own thread (WALCheckpointer); the writer's own, past a length, only finishes
        // what that one started, so that the next batch can restart the WAL (defaultWriterCheckpointFrames).
        // The size limit (to which SQLite cuts the WAL file back when it restarts) leaves room for a whole cycle
        // and the batches past it: a file cut shorter than the cycle is extended again, block by block, in every
        // cycle's last commits.
        let frameBytes = 24 + 4_096  // a frame's header and a page of SQLite's default size, which Kura keeps
        let sizeLimit = max(64 << 20, 2 * configuration.writerCheckpointFrames * frameBytes)
        try connection.execute("PRAGMA wal_autocheckpoint = \(configuration.writerCheckpointFrames)")
        try connection.execute("PRAGMA journal_size_limit = \(sizeLimit)")
        reads = SQLReadSession(connection)
        writer = SQLBatchWriter(connection)
    }

    func begin() throws(KuraError) -> LogHead {
        try connection.execute("BEGIN IMMEDIATE")
        return try reads.head()
    }

    func begin(after known: LogPosition?) throws(KuraError) -> BatchStart {
        var start = BatchStart(head: try begin())
        start.readModelEpoch = try connection.scalar(SQLSchema.readModelEpochSQL)?.int64
        return start
    }

    func write(_ batch: BatchWrite) throws(KuraError) {
        try requireTransaction()
        try writer.write(batch)
    }

    /// An I/O error at `COMMIT` leaves the outcome unknown, answered as `storage_unavailable`: SQLite wrote the
    /// batch's frames to the WAL before the sync that failed, and though this process goes on without them (its
    /// WAL index never moved), a crash before the next commit overwrites them leaves them for the next open to
    /// find committed (review finding). A full disk fails the write of the frames, before their commit frame.
    func commit() throws(KuraError) {
        do { try connection.execute("COMMIT") } catch {
            guard connection.lastPrimaryErrorCode == SQLITE_IOERR else { throw error }
            throw KuraError(
                .storageUnavailable,
                "the batch's commit failed at an I/O error (\(error.detail)): whether it is durable is unknown")
        }
    }

    /// SQLite ends the batch's transaction by itself after some errors (I/O, out of memory, a full disk), also in
    /// a read that a command's failure absorbed; the batch's rows would then be written one statement at a time,
    /// each committed on its own, and the batch answered as failed (review finding).
    private func requireTransaction() throws(KuraError) {
        guard connection.isInTransaction else {
            throw KuraError(
                .storageFailure, "SQLite rolled back the batch's transaction after an error; nothing written")
        }
    }

    func rollback() { try? connection.execute("ROLLBACK") }

    func resetReadModels(_ models: ReadModelSet) throws(KuraError) {
        try requireTransaction()
        try SQLSchema.resetReadModels(models, on: connection)
    }

    /// Closes the connection as the writer stops, not when the writer's last reference goes (after its thread
    /// has ended): its last checkpoint must not hold the file's lock after ``EventStore/close()`` returned.
    func close() { connection.close() }
}
