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

    /// The address to print: a path, or the URL without its password.
    var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url.description
        }
    }

    /// Opens the backend; `create` makes the file, or the schema in an empty database.
    func open(create: Bool, durable: Bool = true, readers: ReaderLanes.Configuration = .init()) throws(KuraError)
        -> any StorageBackend
    {
        switch self {
        case .sqlite(let path):
            try SQLiteBackend(.init(path: path, create: create, durable: durable, readers: readers))
        case .postgres(let url):
            try PostgresBackend(.init(url: url, create: create, readers: readers))
        }
    }
}
