import ArgumentParser
import KuraCore
import KuraStore

/// `--db FILE`: the SQLite file a command works on.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The Kura SQLite database file.")
    var db: String = "kura.sqlite"

    /// The default key file for a database: the same path with `.key` added.
    var keyPath: String { db + ".key" }

    /// Opens an existing database; a missing or foreign file is an error and nothing is created.
    func openStore(readers: Int = 1) throws(KuraError) -> EventStore {
        let backend = try SQLiteBackend(
            .init(path: db, create: false, readers: ReaderLanes.Configuration(standardReaders: readers)))
        do { return try EventStore(backend: backend) } catch {
            backend.close()
            throw error
        }
    }
}
