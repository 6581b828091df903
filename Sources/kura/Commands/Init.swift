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
            Writes FILE and FILE.key (mode 0600). Refuses to touch an existing database or key.

            Example: kura init --db kura.sqlite --json
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The key name and log origin, e.g. kura.example.com/log.")
    var origin: String = "kura.local/log"
    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let summary = try await Initializer.initialize(
                database: database.db, keyPath: database.keyPath, origin: origin)
            if json {
                printJSON([
                    "database": .string(summary.database), "verifierKey": .string(summary.verifierKey),
                    "operatorId": .string(summary.operatorId), "operatorApiKey": .string(summary.operatorApiKey),
                ])
            } else {
                print("created \(summary.database)")
                print("signing key written to \(database.keyPath) (keep it secret)")
                print("verifier key: \(summary.verifierKey)")
                print("operator \(summary.operatorId) api key (shown once): \(summary.operatorApiKey)")
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
    }

    static func initialize(database: String, keyPath: String, origin: String) async throws(KuraError) -> Summary {
        guard !FileManager.default.fileExists(atPath: database) else {
            throw KuraError(.invalidTransition, "\(database) already exists; refusing to initialise it again")
        }
        guard !FileManager.default.fileExists(atPath: keyPath) else {
            throw KuraError(.invalidTransition, "\(keyPath) already exists; refusing to overwrite a key")
        }
        let signer: NoteSigner
        do { signer = try NoteSigner(name: origin, key: .generate()) } catch {
            throw KuraError(.invalidRequest, error.reason)
        }
        let directory = database.lastIndex(of: "/").map { String(database[..<$0]) } ?? ""
        guard directory.isEmpty || FileManager.default.fileExists(atPath: directory) else {
            throw KuraError(.notFound, "directory \(directory) does not exist")
        }
        try KeyFile.create(signer, at: keyPath)
        do {
            let store = try KuraService.openStore(path: database, create: true)
            defer { store.close() }
            let service = KuraService(store: store, signer: signer, clock: .system, logger: Logger(label: "kura"))
            try await service.prepare()
            let registration = try await service.bootstrapOperator()
            return Summary(
                database: database, verifierKey: signer.verifier.text, operatorId: registration.party.id.rawValue,
                operatorApiKey: registration.apiKey ?? "")
        } catch {
            try? FileManager.default.removeItem(atPath: keyPath)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            throw error
        }
    }
}
