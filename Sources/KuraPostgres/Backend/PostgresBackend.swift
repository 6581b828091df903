import Foundation
import KuraCore
import KuraStore

/// Kura on a PostgreSQL database: one writer session per process (``PostgresWriterSession``), reader threads
/// with their own connections in lanes (``ReaderLanes``), the schema migrated forward on open.
///
/// Several processes (nodes) may open one database and write at once: each batch takes the advisory
/// transaction lock ``PostgresSchema/lockKey``, reads the true head, and the writer catches up on the tail
/// the others appended, exactly as two processes share an SQLite file.
public final class PostgresBackend: StorageBackend, @unchecked Sendable {
    /// How the backend opens its database.
    public struct Configuration: Sendable {
        /// The database.
        public var url: PostgresURL
        /// Create the schema in an empty database; otherwise an empty database is an error.
        public var create: Bool
        /// The reader lanes.
        public var readers: ReaderLanes.Configuration

        /// Creates a configuration.
        public init(url: PostgresURL, create: Bool = false, readers: ReaderLanes.Configuration = .init()) {
            self.url = url
            self.create = create
            self.readers = readers
        }
    }

    /// Settings of every Kura session: a commit returns only once durable (whatever the server's or the
    /// role's default), times in UTC, and a session that sits in an open transaction for a minute (a node
    /// stopped with SIGSTOP, a hung thread) is ended by the server, so its advisory lock cannot stall the
    /// other nodes for ever. Prepared statements are planned as PostgreSQL does by default (`auto`: per call
    /// until a generic plan proves as cheap), whatever the database says: the catch-up reads a few keys named
    /// by a range of receipts, and a generic plan cannot see the range is small and scans all of
    /// `reputation_pairs` (Docs/postgresql.md § 8).
    public static let sessionSetup = """
        SET synchronous_commit = on; SET client_min_messages = warning; SET TIME ZONE 'UTC';
        SET idle_in_transaction_session_timeout = '60s'; SET plan_cache_mode = auto
        """

    public let configuration: Configuration
    /// What opening the schema found and did.
    public let schema: PostgresSchema.Outcome
    private let lanes: ReaderLanes
    private let closed = NSLock()
    private var isClosed = false

    /// Connects, checks and migrates the schema, and starts the readers.
    public init(_ configuration: Configuration) throws(KuraError) {
        self.configuration = configuration
        let url = configuration.url
        do {
            let setup = try PostgresConnection(url, sessionSetup: Self.sessionSetup)
            schema = try PostgresSchema.prepare(setup, create: configuration.create)
        }
        lanes = try ReaderLanes(configuration.readers, name: "kura-pg") {
            () throws(KuraError) -> any ReadSession in
            SQLReadSession(try PostgresConnection(url, sessionSetup: Self.sessionSetup))
        }
    }

    deinit { close() }

    public func makeWriterSession() throws(KuraError) -> any WriterSession {
        try PostgresWriterSession(configuration.url, sessionSetup: Self.sessionSetup)
    }

    public func read<T: Sendable>(
        _ lane: ReadLane, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        try await lanes.read(lane) { session throws(KuraError) -> T in
            let connection = (session as! SQLReadSession).connection as! PostgresConnection
            do throws(KuraError) {
                return try Self.snapshot(connection, session, body)
            } catch  where error.code == .storageUnavailable && !connection.isConnected {
                // A session that died while idle (the server restarted) is noticed only by its next
                // statement. A read has no effects: run it once more on a new session.
                try connection.reconnect()
                return try Self.snapshot(connection, session, body)
            }
        }
    }

    /// Runs `body` in one read-only snapshot. The `BEGIN` travels with the body's first statement, and a
    /// body that ran no statement opens no transaction.
    private static func snapshot<T>(
        _ connection: PostgresConnection, _ session: any ReadSession,
        _ body: (any ReadSession) throws(KuraError) -> T
    ) throws(KuraError) -> T {
        try connection.reconnectIfNeeded()
        connection.deferRun("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do throws(KuraError) {
            let value = try body(session)
            if connection.hasDeferred {
                connection.discardDeferred()
            } else {
                try connection.execute("COMMIT")
            }
            return value
        } catch {
            connection.discardDeferred()
            if connection.isConnected && connection.inTransaction { try? connection.execute("ROLLBACK") }
            throw error
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
    }
}
