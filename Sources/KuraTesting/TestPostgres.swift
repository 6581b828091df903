import Foundation
import KuraCore
import KuraPostgres
import KuraStore

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL server the tests use: `KURA_TEST_POSTGRES_URL` when it is set (scripts/test.sh starts
/// one cluster for the whole run), otherwise a throwaway cluster this test process starts on first use
/// with `scripts/lib/pg-cluster.sh` and that stops by itself once the process has ended.
///
/// Each test takes a fresh, empty database with ``database(_:)`` and drops it when done.
public enum TestPostgres {
    /// The server's superuser URL (database `postgres`), starting the cluster on first use.
    public static func serverURL() throws -> PostgresURL { try server.get() }

    private static let server: Result<PostgresURL, KuraError> = {
        if let given = ProcessInfo.processInfo.environment["KURA_TEST_POSTGRES_URL"], !given.isEmpty {
            return Result { () throws(KuraError) in try PostgresURL(given) }
        }
        return Result { () throws(KuraError) in try startCluster() }
    }()

    private static let counter = Counter()

    /// A new empty database on the test server, named after `label` (the test's name by default).
    public static func database(_ label: String = #function) throws -> TestPostgresDatabase {
        let server = try serverURL()
        let safe = String(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(24))
        // The process ID and a random part keep names apart when several test processes share one server.
        let name = "kura_\(safe)_\(getpid())_\(counter.next())_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(server)
        try admin.execute("CREATE DATABASE \(name)")
        return TestPostgresDatabase(name: name, url: server.withDatabase(name), server: server)
    }

    /// Path of scripts/lib/pg-cluster.sh in this checkout.
    static var clusterScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/lib/pg-cluster.sh").path
    }

    private static func startCluster() throws(KuraError) -> PostgresURL {
        let output = try runClusterScript(["start", "--watch", String(getpid())])
        guard let line = output.split(separator: "\n").last else {
            throw KuraError(.storageUnavailable, "pg-cluster.sh printed no URL")
        }
        return try PostgresURL(String(line))
    }

    /// Runs scripts/lib/pg-cluster.sh with `arguments`; returns its stdout, or throws with its stderr.
    static func runClusterScript(_ arguments: [String]) throws(KuraError) -> String {
        let scratch: TemporaryDirectory
        do { scratch = try TemporaryDirectory("pgcluster") } catch {
            throw KuraError(.storageFailure, "cannot create a directory for the cluster's output: \(error)")
        }
        defer { scratch.remove() }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                "/bin/bash", [clusterScript] + arguments, in: scratch.url.path,
                stdoutPath: scratch.path("stdout"), stderrPath: scratch.path("stderr"))
        } catch {
            throw KuraError(.storageUnavailable, "cannot run \(clusterScript): \(error)")
        }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: scratch.path("stderr"), encoding: .utf8)) ?? ""
            throw KuraError(
                .storageUnavailable,
                "pg-cluster.sh \(arguments.first ?? "") failed (run scripts/setup.sh): \(errors.suffix(800))")
        }
        return (try? String(contentsOfFile: scratch.path("stdout"), encoding: .utf8)) ?? ""
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()

        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}

/// One test's database on the test server. ``drop()`` removes it, closing any session still on it.
public final class TestPostgresDatabase: Sendable {
    /// The database's name.
    public let name: String
    /// The URL to open it with (the test server's superuser).
    public let url: PostgresURL
    private let server: PostgresURL

    init(name: String, url: PostgresURL, server: PostgresURL) {
        self.name = name
        self.url = url
        self.server = server
    }

    /// Drops the database.
    public func drop() {
        guard let admin = try? PostgresConnection(server) else { return }
        try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// A PostgreSQL cluster of one test's own, for tests that stop and restart the server under Kura's feet
/// (the shared test server must stay up for every other test). Stops by itself when the process ends.
public final class TestPostgresCluster: Sendable {
    /// The cluster's directory.
    public let directory: String
    /// The superuser URL of its `postgres` database.
    public let url: PostgresURL

    /// Creates and starts the cluster.
    public init() throws(KuraError) {
        let parent = URL(fileURLWithPath: NSTemporaryDirectory())
        directory = parent.appendingPathComponent("kura-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        let output = try TestPostgres.runClusterScript(["start", "--dir", directory, "--watch", String(getpid())])
        guard let line = output.split(separator: "\n").last else {
            throw KuraError(.storageUnavailable, "pg-cluster.sh printed no URL")
        }
        url = try PostgresURL(String(line))
    }

    /// Stops the server (ending every session) and keeps its data.
    public func halt() throws(KuraError) { _ = try TestPostgres.runClusterScript(["halt", directory]) }

    /// Starts the halted server again, on the same port.
    public func resume() throws(KuraError) { _ = try TestPostgres.runClusterScript(["resume", directory]) }

    /// Stops the server and removes its directory.
    public func stop() { _ = try? TestPostgres.runClusterScript(["stop", directory]) }

    /// A new database on this cluster.
    public func database(_ name: String = "kura") throws(KuraError) -> PostgresURL {
        let admin = try PostgresConnection(url)
        try admin.execute("CREATE DATABASE \(name)")
        return url.withDatabase(name)
    }

    /// A new database on this cluster as a backend database (``TestDatabase``'s `backend:`).
    public func backendDatabase(_ name: String = "kura") throws(KuraError) -> PostgresTestDatabase {
        PostgresTestDatabase(TestPostgresDatabase(name: name, url: try database(name), server: url))
    }
}

/// A fresh PostgreSQL database on the test server (``TestPostgres``), for the store and service conformance
/// suites (``StoreBackends/postgres``).
public final class PostgresTestDatabase: TestBackendDatabase {
    /// The database.
    public let database: TestPostgresDatabase

    /// Creates the database on the test server; its schema is created by the first ``open(durable:)``.
    public init(_ label: String = "conformance") throws {
        database = try TestPostgres.database(label)
    }

    /// A database made elsewhere (``TestPostgresCluster/backendDatabase(_:)``).
    public init(_ database: TestPostgresDatabase) { self.database = database }

    /// A backend on the database. Every PostgreSQL commit is durable (`synchronous_commit = on`); the test
    /// cluster itself runs with `fsync=off`.
    public func open(durable: Bool) throws(KuraError) -> any StorageBackend {
        try PostgresBackend(.init(url: database.url, create: true))
    }

    /// Runs `sql` (the shared layer's SQLite-flavoured text, translated) as the database's owner with the log's
    /// triggers disabled (`privileged`), or as the application role `kura_app`, which may not change the log.
    public func execute(_ sql: String, privileged: Bool) throws(KuraError) {
        let connection = try PostgresConnection(database.url)
        defer { connection.close() }
        let statement = SQLDialect.postgres.translate(sql)
        if privileged {
            try connection.execute(
                """
                BEGIN; ALTER TABLE events DISABLE TRIGGER USER; \(statement);
                ALTER TABLE events ENABLE TRIGGER USER; COMMIT
                """)
        } else {
            try Self.ensureApplicationRole(connection)
            try connection.execute("SET ROLE \(PostgresRoles.application)")
            try connection.execute(statement)
        }
    }

    /// The database's URL for `kura_node`, a login role in `kura_app`: how Docs/postgresql.md runs the nodes,
    /// with the application role's privileges only. Creates both roles when missing (they belong to the whole
    /// cluster) and grants `kura_app` its privileges here. (The test cluster trusts local connections: no
    /// password.)
    public func applicationURL() throws(KuraError) -> String {
        let connection = try PostgresConnection(database.url)
        defer { connection.close() }
        try Self.ensureApplicationRole(connection)
        if try connection.scalar("SELECT 1 FROM pg_roles WHERE rolname = 'kura_node'") == nil {
            // Tests running at once may race to create it: the loser finds it made.
            do { try connection.execute("CREATE ROLE kura_node LOGIN") } catch {
                guard try connection.scalar("SELECT 1 FROM pg_roles WHERE rolname = 'kura_node'") != nil else {
                    throw error
                }
            }
        }
        try connection.execute("GRANT \(PostgresRoles.application) TO kura_node")
        return database.url.setting("user", "kura_node").description
    }

    /// The roles of the other client sessions connected to this database now (not autovacuum's workers).
    public func connectedRoles() throws(KuraError) -> Set<String> {
        let connection = try PostgresConnection(database.url)
        defer { connection.close() }
        let roles = try connection.rows(
            """
            SELECT DISTINCT usename FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            """, []
        ) { row throws(KuraError) in row.text(0) }
        return Set(roles)
    }

    /// Creates `kura_app` (a role of the whole cluster) and grants it its privileges on this database. Tests
    /// running at once may race to create it: the loser finds it made.
    private static func ensureApplicationRole(_ connection: PostgresConnection) throws(KuraError) {
        do { try PostgresRoles.ensure(connection) } catch { try PostgresRoles.ensure(connection) }
    }

    public func remove() { database.drop() }
}
