import Foundation
import KuraCore
import KuraPostgres
import KuraStore

/// What `--db` names: an SQLite file (the default) or a PostgreSQL database (`postgres://…`, or the
/// `KURA_DATABASE_URL` environment variable when `--db` is not given). The one place the CLI turns it into
/// a ``StorageBackend``.
enum StorageLocation: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// Reads `--db`; a `postgres://` or `postgresql://` value is a database URL, anything else a file path.
    init(_ text: String) throws(KuraError) {
        self = PostgresURL.isPostgres(text) ? .postgres(try PostgresURL(text)) : .sqlite(path: text)
    }

    /// The database when `--db` is not given: `KURA_DATABASE_URL`, else `kura.sqlite`.
    static func defaultName(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["KURA_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "kura.sqlite"
    }

    /// The address to print: a path, or the URL without its password.
    var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url.description
        }
    }

    /// Removes an SQLite database that this run made and must not leave behind (with its WAL and shared-memory
    /// files); a PostgreSQL database is left as it is.
    func removeMadeFile() {
        if case .sqlite(let path) = self { Self.removeSQLiteFiles(at: path) }
    }

    /// Removes the SQLite file at `path` with its `-wal` and `-shm` files, those that exist.
    static func removeSQLiteFiles(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The signing key's file unless one is named: beside an SQLite file (`FILE.key`); for a PostgreSQL
    /// database `DB.key` in the working directory (every node of one database needs the same key).
    var defaultKeyPath: String {
        switch self {
        case .sqlite(let path): path + ".key"
        case .postgres(let url): (url.database.flatMap { $0.isEmpty ? nil : $0 } ?? "kura") + ".key"
        }
    }

    var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// PostgreSQL: creates the application role (`kura_app`: no UPDATE, DELETE or TRUNCATE on the log) if this
    /// user may, and grants it its privileges; whether it exists afterwards. Nil for an SQLite file.
    func ensureApplicationRole() throws(KuraError) -> Bool? {
        guard case .postgres(let url) = self else { return nil }
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try PostgresRoles.ensure(connection)
    }

    /// Opens the backend; `create` makes the file, or the schema in an empty database. `durable` and
    /// `pageCacheKiB` are SQLite's (a PostgreSQL commit is always durable: `synchronous_commit = on`).
    func open(
        create: Bool, durable: Bool = true, readers: ReaderLanes.Configuration = .init(),
        pageCacheKiB: Int = SQLiteBackend.Configuration.defaultPageCacheKiB
    ) throws(KuraError) -> any StorageBackend {
        switch self {
        case .sqlite(let path):
            var configuration = SQLiteBackend.Configuration(
                path: path, create: create, durable: durable, readers: readers)
            configuration.pageCacheKiB = pageCacheKiB
            return try SQLiteBackend(configuration)
        case .postgres(let url):
            return try PostgresBackend(.init(url: url, create: create, readers: readers))
        }
    }
}
