import ArgumentParser
import Foundation
import KuraCore
import KuraStore

/// `--db FILE|URL` and `--service-key-file`: the database a command works on, an SQLite file or a PostgreSQL database
/// (``StorageLocation``), and the service's signing key.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "The Kura database: an SQLite file or postgres://USER@HOST:PORT/DB (default: $KURA_DATABASE_URL, else kura.sqlite)."
    )
    var db: String?
    @Option(help: "The service's signing key (default: the SQLite file with .key added; for PostgreSQL, DB.key here).")
    var serviceKeyFile: String?

    /// What `--db` names, else `KURA_DATABASE_URL`, else `kura.sqlite`.
    var name: String { db ?? StorageLocation.defaultName() }

    /// The database as a location.
    func location() throws(KuraError) -> StorageLocation { try StorageLocation(name) }

    /// The key file: `--service-key-file`, else the location's default.
    func keyPath() throws(KuraError) -> String {
        if let serviceKeyFile { return serviceKeyFile }
        return try location().defaultKeyPath
    }

    /// The SQLite file, for the commands that work on files only (`kura backup`, `kura restore`); a PostgreSQL
    /// database is refused with where to look instead.
    func sqlitePath(_ command: String) throws(KuraError) -> String {
        guard case .sqlite(let path) = try location() else {
            throw KuraError(
                .invalidRequest,
                "`kura \(command)` copies SQLite files; back up PostgreSQL with pg_dump or a base backup and WAL "
                    + "archiving, and check a restored copy with `kura log verify --db …` (Docs/postgresql.md)")
        }
        return path
    }

    /// Opens an existing database; a missing or foreign database is an error and nothing is created.
    func openStore(readers: Int = 1) throws(KuraError) -> EventStore {
        let backend = try location().open(
            create: false, readers: ReaderLanes.Configuration(standardReaders: readers))
        do { return try EventStore(backend: backend) } catch {
            backend.close()
            throw error
        }
    }
}
