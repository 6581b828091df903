import CSQLite
import Foundation
import KuraCore
import KuraCrypto

/// The SQLite event store: WAL, `synchronous=FULL` by default, one writer thread that group-commits
/// concurrent commands, and a small pool of read connections.
public final class SQLiteEventStore: EventStore, @unchecked Sendable {
    /// How the store opens its file.
    public struct Configuration: Sendable {
        /// The database file.
        public var path: String
        /// Create the file and schema if missing; otherwise a missing file is an error.
        public var create: Bool
        /// `FULL` fsyncs every commit (a settled payment survives power loss); `NORMAL` is for benchmarks.
        public var durable: Bool
        /// Read connections in the pool.
        public var readers: Int
        /// The most commands one group commit takes.
        public var maxBatch: Int
        /// How long the writer may wait for the callers of its previous batch before committing a
        /// smaller one (a fraction of an fsync).
        public var lingerSeconds: Double = 0.001
        /// Read models updated inside each append's transaction.
        public var projectors: [any Projector]
        /// Hears each batch and the queue depth (metrics, readiness); nil: nobody listens.
        public var observer: (any StoreObserver)? = nil
        /// The writer connection's SQLite page cache, in KiB. Each read connection keeps at most
        /// ``readerPageCacheKiB`` (SQLite's own default, about 2 MiB) or this, whichever is smaller, so the
        /// page caches of a store hold at most `pageCacheKiB + readers × min(pageCacheKiB, 2048)` KiB.
        public var pageCacheKiB: Int = Configuration.defaultPageCacheKiB

        /// The writer's page cache unless configured: 64 MiB, so that the pages group commits touch stay cached.
        public static let defaultPageCacheKiB = 65_536
        /// The most page cache each read connection keeps, in KiB (SQLite's default is 2,000 KiB).
        public static let readerPageCacheKiB = 2_048

        /// Creates a configuration with the safe defaults.
        public init(
            path: String, create: Bool = false, durable: Bool = true, readers: Int = 4, maxBatch: Int = 1024,
            projectors: [any Projector] = []
        ) {
            self.path = path
            self.create = create
            self.durable = durable
            self.readers = readers
            self.maxBatch = maxBatch
            self.projectors = projectors
        }
    }

    /// The format name written in the `meta` table; other SQLite files are refused.
    public static let format = "kura-log-1"

    let configuration: Configuration
    let writer: GroupCommitWriter
    private let readPool: ConnectionPool
    private let checkpointer: WALCheckpointer

    /// Opens (or creates) the store.
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
        let connection = try SQLiteConnection(path: path, create: configuration.create)
        try Self.prepare(connection, configuration)
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, configuration.readers) {
            let reader = try SQLiteConnection(path: path, create: false)
            try reader.execute(
                """
                PRAGMA busy_timeout = 10000; PRAGMA query_only = 1;
                PRAGMA cache_size = -\(min(configuration.pageCacheKiB, Configuration.readerPageCacheKiB));
                """)
            readers.append(reader)
        }
        self.readPool = ConnectionPool(readers)
        self.checkpointer = try WALCheckpointer(path: path)
        // Last, once nothing else can fail: the writer starts a thread that only `close()`/deinit ends.
        self.writer = GroupCommitWriter(connection: connection, configuration: configuration)
    }

    /// Stops the writer after the work in flight; later appends fail.
    public func close() {
        writer.stop()
        checkpointer.stop()
    }

    /// A store dropped without `close()` still ends its writer thread and releases the connection.
    deinit {
        writer.requestStop()
        checkpointer.stop()
    }

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
        try db.execute("PRAGMA synchronous = \(configuration.durable ? "FULL" : "NORMAL")")
        // Each command runs in a savepoint; keep its statement journal in memory, not in a temp file.
        // A negative cache_size is in KiB (a positive one would count pages).
        try db.execute("PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(configuration.pageCacheKiB)")
        // Checkpoints run on their own thread (WALCheckpointer), never inside the writer's commits.
        try db.execute("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864")
        try db.execute("BEGIN IMMEDIATE")
        do throws(KuraError) {
            try db.execute(Schema.sql)
            try db.run("INSERT OR IGNORE INTO meta(key, value) VALUES ('format', ?)", .text(format))
            let found = try db.scalar("SELECT value FROM meta WHERE key='format'")?.text
            guard found == format else {
                throw KuraError(.unsupportedDatabase, "database format \(found ?? "?") is not \(format)")
            }
            for projector in configuration.projectors { try projector.createSchema(db) }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Writing

    public func append(
        _ events: [NewEvent], actor: String, commandId: String, at: Timestamp, idempotency: IdempotencyKey?,
        response: [UInt8] = []
    ) async throws(KuraError) -> AppendOutcome {
        try await transact { (tx: inout WriteTransaction) throws(KuraError) -> AppendOutcome in
            if let idempotency, let stored = try tx.idempotentResponse(for: idempotency) {
                return AppendOutcome(events: [], response: stored, replayed: true)
            }
            var written: [Event] = []
            for event in events {
                written.append(try tx.append(event, actor: actor, commandId: commandId, at: at))
            }
            if let idempotency { try tx.recordResponse(response, for: idempotency) }
            return AppendOutcome(events: written, response: response, replayed: false)
        }
    }

    /// Runs `body` as one command inside the next group commit. The body sees the log and the read
    /// models as of the commands ordered before it; if it throws, only its own writes are undone.
    /// Returns once the batch is durable.
    public func transact<T: Sendable>(
        _ body: @escaping @Sendable (inout WriteTransaction) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        let result: Result<T, KuraError> = await withCheckedContinuation { continuation in
            writer.submit { (tx: inout WriteTransaction) -> Result<any Sendable, KuraError> in
                do throws(KuraError) {
                    return .success(try body(&tx))
                } catch {
                    return .failure(error)
                }
            } completion: { outcome in
                continuation.resume(returning: outcome.map { $0 as! T })
            }
        }
        return try result.get()
    }

    // MARK: Reading

    /// How many transactions entered the writer's queue since the store opened (reads never do).
    public var writesQueued: Int { writer.submitted }

    /// Runs `body` on a read connection (a consistent snapshot for the duration of one statement).
    public func read<T>(_ body: (SQLiteConnection) throws(KuraError) -> T) throws(KuraError) -> T {
        try readPool.with(body)
    }

    public func head() throws(KuraError) -> LogHead {
        try read { db throws(KuraError) in try Self.head(db) }
    }

    static func head(_ db: SQLiteConnection) throws(KuraError) -> LogHead {
        let statement = try db.statement("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        defer { statement.reset() }
        guard try statement.step() else { return .empty }
        return LogHead(seq: UInt64(statement.int64(0)), hash: statement.bytes(1))
    }

    public func events(after: UInt64, limit: Int) throws(KuraError) -> [Event] {
        try read { db throws(KuraError) in try Self.events(after: after, limit: limit, db) }
    }

    /// Events with `seq > after` on `db` (e.g. inside a write transaction), in order, at most `limit`;
    /// each one's stored hash is checked against its contents.
    public static func events(after: UInt64, limit: Int, _ db: SQLiteConnection) throws(KuraError) -> [Event] {
        let statement = try db.statement("SELECT \(Schema.eventColumns) FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
        try statement.bind([.integer(Int64(after)), .integer(Int64(limit))])
        return try statement.rows { row throws(KuraError) in try Schema.event(row) }
    }

    public func events(inStream stream: String) throws(KuraError) -> [Event] {
        try read { db throws(KuraError) in try Self.events(inStream: stream, db) }
    }

    /// Every event of one stream on `db`, in version order.
    public static func events(inStream stream: String, _ db: SQLiteConnection) throws(KuraError) -> [Event] {
        let statement = try db.statement("SELECT \(Schema.eventColumns) FROM events WHERE stream = ? ORDER BY version")
        try statement.bind([.text(stream)])
        return try statement.rows { row throws(KuraError) in try Schema.event(row) }
    }

    public func verify() throws(KuraError) -> ChainReport {
        try read { db throws(KuraError) in try ChainVerifier.verify(db) }
    }

    /// ``verify()``, telling `progress` the count of events checked as it goes (for `kura log verify` on a
    /// terminal).
    public func verify(progress: @escaping (UInt64) -> Void) throws(KuraError) -> ChainReport {
        try read { db throws(KuraError) in try ChainVerifier.verify(db, progress: progress) }
    }
}

/// A fixed set of connections handed out one caller at a time.
final class ConnectionPool: @unchecked Sendable {
    private var free: [SQLiteConnection]
    private let condition = NSCondition()

    init(_ connections: [SQLiteConnection]) { free = connections }

    func with<T>(_ body: (SQLiteConnection) throws(KuraError) -> T) throws(KuraError) -> T {
        condition.lock()
        while free.isEmpty { condition.wait() }
        let connection = free.removeLast()
        condition.unlock()
        defer {
            condition.lock()
            free.append(connection)
            condition.signal()
            condition.unlock()
        }
        return try body(connection)
    }
}
