import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// `kura backup`: a consistent copy of a live database, verified before it is kept.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a database while the server runs, and verify the copy.",
        discussion: """
            The copy is one read transaction (SQLite VACUUM INTO): the database as of one instant, taken without \
            stopping the server. It is then checked like `kura log verify` (SQLite's integrity check, the format, \
            every hash of the chain), its head is compared with the live database's event of the same seq, and \
            only a copy that passes gets the name COPY (it is written as COPY.partial first). The signing key \
            (FILE.key) never changes: back it up once, apart from the copies. Exits 0 with a summary, 65 when \
            the copy does not verify.

            Example: kura backup --db /var/lib/kura/kura.sqlite --out /backup/kura-$(date +%F).sqlite
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The copy to write (must not exist).") var out: String
    @Flag(help: "Print a JSON object instead of text.") var json = false

    func run() async throws {
        try await reportingErrors {
            let report = try SQLiteBackup.backup(from: try database.sqlitePath("backup"), to: out)
            if json {
                printJSON(BackupOutput.json(report, path: out))
            } else {
                print(
                    "ok: \(out): \(report.events) events, head \(report.head.seq) \(Hex.encode(report.head.hash)), \(report.bytes) bytes, verified"
                )
            }
        }
    }
}

/// `kura restore`: puts a verified copy in place of a database.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a database from a copy made by `kura backup`, after verifying the copy.",
        discussion: """
            Refuses (exit 65, nothing changed) a copy that does not verify: SQLite's integrity check, the format \
            and every hash of the chain. Refuses to replace an existing database without --force, and always \
            while another process (a server) has it open: stop the server first. The database's key file \
            (FILE.key) must be the one the copy was made with.

            Example: kura restore --from /backup/kura-2026-01-02.sqlite --db /var/lib/kura/kura.sqlite --force
            """)
    @Option(help: "The copy to restore.") var from: String
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Replace the database if it exists.") var force = false
    @Flag(help: "Print a JSON object instead of text.") var json = false

    func run() async throws {
        try await reportingErrors {
            let path = try database.sqlitePath("restore")
            let report = try SQLiteBackup.restore(from: from, to: path, replace: force)
            if json {
                printJSON(BackupOutput.json(report, path: path))
            } else {
                print(
                    "ok: restored \(path) from \(from): \(report.events) events, head \(report.head.seq) \(Hex.encode(report.head.hash))"
                )
            }
        }
    }
}

enum BackupOutput {
    static func json(_ report: SQLiteBackup.Report, path: String) -> JSONValue {
        [
            "path": .string(path), "events": .number(Double(report.events)),
            "headSeq": .number(Double(report.head.seq)), "headHash": .string(Hex.encode(report.head.hash)),
            "bytes": .number(Double(report.bytes)), "verified": true,
        ]
    }
}
