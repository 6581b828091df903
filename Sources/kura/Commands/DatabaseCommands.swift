import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraPostgres
import KuraService
import KuraStore

/// `kura db …`: moving a database between backends.
struct DatabaseCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Move a Kura database to another backend.", subcommands: [Copy.self])

    /// `kura db copy`: the log and its side tables to an empty database, read models rebuilt there, both compared.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a database to an empty one on any backend, rebuild its read models, compare both.",
            discussion: """
                Copies the event log (every event checked against its hash as it is read, and refused by the \
                target unless it continues the chain), the idempotency records, the signed-request nonces and \
                the signed checkpoints; rebuilds every read model on the target by replaying its log; then \
                verifies the target's chain and compares heads, receipt-tree roots, every balance and the \
                projection digest of all read models. Refuses a target that holds events (exit 75), and a source \
                whose chain does not verify, before anything is written (exit 65); a new SQLite file a failed \
                copy made is removed, so the copy can be run again. Stop the \
                server on the source first: events appended during the copy are not copied. The signing key is \
                not in the database: start the new server with the old key (--service-key-file).

                Example: kura db copy --from ./kura.sqlite --to postgres://kura@db.internal:5432/kura
                Then: kura serve --db postgres://kura_node@db.internal:5432/kura --service-key-file kura.sqlite.key
                """)

        @Option(help: "The database to copy: an SQLite file or postgres://USER@HOST:PORT/DB.") var from: String
        @Option(help: "The empty database to copy into (PostgreSQL: the schema is created; SQLite: a new file).")
        var to: String
        @Flag(help: "Print a JSON object instead of text.") var json = false

        func run() async throws {
            try await reportingErrors {
                let source = try StorageLocation(from)
                let destination = try StorageLocation(to)
                if case .sqlite(let path) = destination, FileManager.default.fileExists(atPath: path) {
                    throw KuraError(
                        .invalidTransition, "\(path) exists; copy only into a new file or an empty database")
                }
                let report: DatabaseCopy.Report
                do { report = try await Self.copy(from: source, to: destination, json: json) } catch {
                    // The file did not exist before (checked above): what this run made is not a copy.
                    destination.removeMadeFile()
                    throw error
                }
                if json {
                    printJSON([
                        "from": .string(source.description), "to": .string(destination.description),
                        "events": .number(Double(report.events)), "headSeq": .number(Double(report.head.seq)),
                        "headHash": .string(Hex.encode(report.head.hash)),
                        "receipts": .number(Double(report.receipts)), "root": .string(Hex.encode(report.root)),
                        "balances": .number(Double(report.balances)), "digest": .string(report.digest),
                        "idempotencyRecords": .number(Double(report.idempotencyRecords)),
                        "nonces": .number(Double(report.nonces)), "checkpoints": .number(Double(report.checkpoints)),
                    ])
                } else {
                    print("ok: copied \(source) to \(destination)")
                    print(
                        "  \(report.events) events, chain verified, head \(report.head.seq) \(Hex.encode(report.head.hash))"
                    )
                    print("  \(report.receipts) receipts, root \(Hex.encode(report.root)) on both")
                    print("  \(report.balances) balances equal; read models rebuilt by replay, digest \(report.digest)")
                    print(
                        "  \(report.idempotencyRecords) idempotency records, \(report.nonces) nonces, "
                            + "\(report.checkpoints) checkpoints copied")
                }
            }
        }

        /// Opens both, copies, and rebuilds the target's read models with the service's replay.
        static func copy(from source: StorageLocation, to destination: StorageLocation, json: Bool)
            async throws(KuraError) -> DatabaseCopy.Report
        {
            let from = try source.open(create: false)
            defer { from.close() }
            let to = try destination.open(create: true)
            defer { to.close() }
            let total = try await from.read(.standard) { reads throws(KuraError) in try reads.head().seq }
            return try await DatabaseCopy.copy(from: from, to: to) { _ throws(KuraError) in
                // The replay runs in a writer of its own on the target (a store closes its backend when done).
                let store = try KuraService.openStore(backend: try destination.open(create: false))
                defer { store.close() }
                let progress = ProgressReporter("replay", unit: .count("events"), total: total, json: json)
                _ = try await store.replay { progress.update(done: $0) }
                progress.finish()
            }
        }
    }
}
