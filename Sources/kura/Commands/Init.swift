import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import Logging

/// `kura init`: creates the database and the service's signing key.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new Kura database and the service's Ed25519 signing key.",
        discussion: """
            Writes FILE and FILE.key (mode 0600). Refuses to touch an existing database or key. On PostgreSQL \
            (--db postgres://USER@HOST:PORT/DB, or KURA_DATABASE_URL) creates the schema in an empty database \
            and writes the key to DB.key here (or --service-key-file); every node of that database needs this key.

            Example: kura init --db kura.sqlite --json
            Example: kura init --db postgres://kura@db.internal:5432/kura --service-key-file /etc/kura/kura.key
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The key name and log origin, e.g. kura.example.com/log.")
    var origin: String = "kura.local/log"
    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let keyPath = try database.keyPath()
            let summary = try await Initializer.initialize(
                location: try database.location(), keyPath: keyPath, origin: origin)
            if json {
                var object: [String: JSONValue] = [
                    "database": .string(summary.database), "verifierKey": .string(summary.verifierKey),
                    "operatorId": .string(summary.operatorId), "operatorApiKey": .string(summary.operatorApiKey),
                ]
                if let role = summary.applicationRole { object["applicationRole"] = .bool(role) }
                printJSON(.object(object))
            } else {
                print("created \(summary.database)")
                print("signing key written to \(keyPath) (keep it secret)")
                print("verifier key: \(summary.verifierKey)")
                print("operator \(summary.operatorId) api key (shown once): \(summary.operatorApiKey)")
                switch summary.applicationRole {
                case true?:
                    print("application role kura_app ready (nodes log in as a member of it; Docs/postgresql.md)")
                case false?: print("no application role: ask an administrator to create kura_app (Docs/postgresql.md)")
                case nil: break
                }
            }
        }
    }
}

/// Creates a database and its key, or nothing at all.
enum Initializer {
    struct Summary {
        var database: String
        var verifierKey: String
        var operatorId: String
        var operatorApiKey: String
        /// PostgreSQL: whether the application role `kura_app` exists (false: this user may not create roles).
        var applicationRole: Bool?
    }

    static func initialize(location: StorageLocation, keyPath: String, origin: String) async throws(KuraError)
        -> Summary
    {
        if case .sqlite(let database) = location {
            guard !FileManager.default.fileExists(atPath: database) else {
                throw KuraError(.invalidTransition, "\(database) already exists; refusing to initialise it again")
            }
            let directory = database.lastIndex(of: "/").map { String(database[..<$0]) } ?? ""
            guard directory.isEmpty || FileManager.default.fileExists(atPath: directory) else {
                throw KuraError(.notFound, "directory \(directory) does not exist")
            }
        }
        guard !FileManager.default.fileExists(atPath: keyPath) else {
            throw KuraError(.invalidTransition, "\(keyPath) already exists; refusing to overwrite a key")
        }
        let signer: NoteSigner
        do { signer = try NoteSigner(name: origin, key: .generate()) } catch {
            throw KuraError(.invalidRequest, error.reason)
        }
        // A PostgreSQL database is checked before the key is written: one holding a log is refused untouched.
        let store = try KuraService.openStore(backend: try location.open(create: true))
        defer { store.close() }
        var applicationRole: Bool?
        /// Leaves nothing behind: the new SQLite file goes (a PostgreSQL schema without events stays; it is empty).
        func abandon() {
            store.close()
            location.removeMadeFile()
        }
        do throws(KuraError) {
            guard try await store.head().seq == 0 else {
                throw KuraError(
                    .invalidTransition, "\(location) already holds a Kura log; refusing to initialise it again")
            }
            applicationRole = try location.ensureApplicationRole()
            try KeyFile.create(signer, at: keyPath)
        } catch {
            abandon()
            throw error
        }
        do {
            let service = KuraService(store: store, signer: signer, clock: .system, logger: Logger(label: "kura"))
            try await service.prepare()
            let registration = try await service.bootstrapOperator()
            return Summary(
                database: location.description, verifierKey: signer.verifier.text,
                operatorId: registration.party.id.rawValue, operatorApiKey: registration.apiKey ?? "",
                applicationRole: applicationRole)
        } catch {
            try? FileManager.default.removeItem(atPath: keyPath)
            abandon()
            throw error
        }
    }
}
