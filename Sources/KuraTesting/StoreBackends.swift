import Foundation
import KuraCore
import KuraStore

/// A kind of backend the store conformance suite (and any test that wants to) runs against. The PostgreSQL
/// backend adds its own factory to ``StoreBackends/all``.
public struct StoreBackendFactory: Sendable, CustomStringConvertible {
    /// Shown in test names, e.g. `sqlite`.
    public let name: String
    /// Makes a fresh, empty database.
    public let makeDatabase: @Sendable () async throws -> any TestBackendDatabase

    /// A factory.
    public init(name: String, makeDatabase: @escaping @Sendable () async throws -> any TestBackendDatabase) {
        self.name = name
        self.makeDatabase = makeDatabase
    }

    public var description: String { name }
}

/// One fresh database of a backend, for one test.
public protocol TestBackendDatabase: Sendable {
    /// Opens a backend on this database (call it twice for two writers, as two processes or nodes would).
    /// `durable: false` may skip the fsync of each commit.
    func open(durable: Bool) throws(KuraError) -> any StorageBackend
    /// Runs raw SQL on the database as its owner would, bypassing Kura: `privileged` lifts the append-only
    /// protection of `events` first (to tamper with history on purpose); otherwise the statement runs with the
    /// application's rights, so a change to `events` must be refused.
    func execute(_ sql: String, privileged: Bool) throws(KuraError)
    /// Deletes the database.
    func remove()
}

/// Every backend the suites run against.
public enum StoreBackends {
    /// The embedded SQLite file and PostgreSQL (always: the test server comes from `KURA_TEST_POSTGRES_URL`, set
    /// by scripts/test.sh, or is started by the test process itself; `KURA_TEST_POSTGRES_URL=off` leaves it
    /// out), then any other registered backend.
    public static var all: [StoreBackendFactory] {
        let postgresOff = ProcessInfo.processInfo.environment["KURA_TEST_POSTGRES_URL"] == "off"
        return [sqlite] + (postgresOff ? [] : [postgres]) + others
    }

    /// Backends registered by other targets (PostgreSQL when a cluster is available).
    nonisolated(unsafe) public static var others: [StoreBackendFactory] = []

    /// A fresh database on the test PostgreSQL server (``TestPostgres``).
    public static let postgres = StoreBackendFactory(name: "postgres") { try PostgresTestDatabase() }

    /// A fresh SQLite file in its own temporary directory.
    public static let sqlite = StoreBackendFactory(name: "sqlite") { try SQLiteTestDatabase() }
}

/// A fresh SQLite file in its own temporary directory.
public final class SQLiteTestDatabase: TestBackendDatabase {
    /// The directory, removed by ``remove()``.
    public let directory: URL
    /// The database file.
    public let path: String

    /// Makes the directory; the file is created by the first ``open(durable:)``.
    public init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("kura-conformance-\(UUID().uuidString.prefix(12))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("kura.sqlite").path
    }

    public func open(durable: Bool) throws(KuraError) -> any StorageBackend {
        try SQLiteBackend(.init(path: path, create: true, durable: durable))
    }

    public func execute(_ sql: String, privileged: Bool) throws(KuraError) {
        let raw = try SQLiteConnection(path: path, create: false)
        try raw.execute("PRAGMA busy_timeout = 10000")
        if privileged {
            try raw.execute("DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete")
        }
        try raw.execute(sql)
        if privileged {
            // Put the protection back, as the file had it.
            try raw.execute(
                """
                CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                """)
        }
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
