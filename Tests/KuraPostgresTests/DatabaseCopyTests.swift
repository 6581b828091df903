import Foundation
import KuraCore
import KuraPostgres
import KuraStore
import KuraTesting
import Testing

/// Moving a database from SQLite to PostgreSQL: the log and the side tables copied, read models rebuilt,
/// both compared; a non-empty target refused; a rebuild that differs caught.
@Suite("database copy")
struct DatabaseCopyTests {
    /// The read-model rows of ``PostgresBackendTests/changes`` (what a replay of the log would write).
    static let readModels = PostgresBackendTests.changes.filter {
        switch $0 {
        case .idempotency, .nonce, .checkpoint: false
        default: true
        }
    }

    static func source(_ directory: TemporaryDirectory) throws -> SQLiteBackend {
        let sqlite = try SQLiteBackend(.init(path: directory.path("kura.sqlite"), create: true, durable: false))
        let session = try sqlite.makeWriterSession()
        try PostgresBackendTests.commit(session, count: 2500, changes: PostgresBackendTests.changes)
        session.close()
        return sqlite
    }

    /// A SQLite source holding ``PostgresBackendTests/changes`` and an empty PostgreSQL target, each on its own
    /// throwaway database; `body` gets both, and both are closed and removed after.
    static func withSourceAndTarget(_ body: (SQLiteBackend, PostgresBackend) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try TestPostgres.database()
        defer { database.drop() }
        let source = try Self.source(directory)
        let target = try PostgresBackend(.init(url: database.url, create: true))
        defer {
            source.close()
            target.close()
        }
        try await body(source, target)
    }

    /// Writes `changes` in one batch: the test's stand-in for the service's replay.
    static func rebuild(_ changes: [RowChange]) -> (any StorageBackend) async throws(KuraError) -> Void {
        { backend throws(KuraError) in
            let session = try backend.makeWriterSession()
            _ = try session.begin()
            try session.write(BatchWrite(changes: changes))
            try session.commit()
            session.close()
        }
    }

    @Test("SQLite to PostgreSQL: log, idempotency, nonces and checkpoints copied; heads and digests equal")
    func copies() async throws {
        try await Self.withSourceAndTarget { source, target in
            let report = try await DatabaseCopy.copy(from: source, to: target, rebuild: Self.rebuild(Self.readModels))
            #expect(report.events == 2500)
            #expect(report.idempotencyRecords == 1 && report.nonces == 1 && report.checkpoints == 1)
            let copied = try await target.read(.standard) { reads throws(KuraError) in
                (try reads.idempotency("k-1"), try reads.latestCheckpoint(keyName: "kura.test/log"), try reads.head())
            }
            #expect(copied.0?.requestHash == [9, 9])
            #expect(copied.1?.note == "note\n")
            #expect(copied.2 == report.head)
        }
    }

    @Test("a target that holds events is refused and left as it was")
    func refusesNonEmpty() async throws {
        try await Self.withSourceAndTarget { source, target in
            let session = try target.makeWriterSession()
            let head = try PostgresBackendTests.commit(session, count: 1)
            let error = await #expect(throws: KuraError.self) {
                try await DatabaseCopy.copy(from: source, to: target, rebuild: Self.rebuild(Self.readModels))
            }
            #expect(error?.code == .invalidTransition)
            #expect(try await target.read(.standard) { reads throws(KuraError) in try reads.head() } == head)
        }
    }

    @Test("a target with no events but idempotency records is refused as not empty, and left as it was")
    func refusesLeftovers() async throws {
        try await Self.withSourceAndTarget { source, target in
            let leftovers = PostgresBackendTests.changes.filter {
                if case .idempotency = $0 { true } else { false }
            }
            try #require(!leftovers.isEmpty)
            let session = try target.makeWriterSession()
            _ = try session.begin()
            try session.write(BatchWrite(changes: leftovers))
            try session.commit()
            session.close()
            let error = await #expect(throws: KuraError.self) {
                try await DatabaseCopy.copy(from: source, to: target, rebuild: Self.rebuild(Self.readModels))
            }
            #expect(error?.code == .invalidTransition, "\(String(describing: error))")
            #expect(error?.detail.contains("empty database") == true, "\(String(describing: error))")
            #expect(try await target.read(.standard) { reads throws(KuraError) in try reads.head() } == .empty)
        }
    }

    @Test(
        "a source whose log was tampered with is refused before anything is written",
        arguments: [
            "UPDATE events SET payload = replace(payload, 'note', 'memo') WHERE seq = 2400",
            "UPDATE events SET hash = zeroblob(32) WHERE seq = 2400", "DELETE FROM events WHERE seq = 2400",
            // Review finding: a negative seq or version crashed the check (a negative Int64 made UInt64).
            "UPDATE events SET seq = -1 WHERE seq = 1", "UPDATE events SET version = -1 WHERE seq = 2400",
        ])
    func refusesTamperedSource(_ tampering: String) async throws {
        try await Self.withSourceAndTarget { source, target in
            // Plain SQL with the log's guards dropped: what an attacker with the file, or a bad disk, can do (the
            // connection closes as it goes out of scope).
            try SQLiteConnection(path: source.configuration.path, create: false).execute(
                "DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete; " + tampering)
            let error = await #expect(throws: KuraError.self) {
                try await DatabaseCopy.copy(from: source, to: target, rebuild: Self.rebuild(Self.readModels))
            }
            #expect(error?.code == .chainBroken, "\(String(describing: error))")
            // The target is left empty: the copy can be run again once the source is mended.
            #expect(try await target.read(.standard) { reads throws(KuraError) in try reads.head() } == .empty)
        }
    }

    @Test("read models rebuilt differently (one balance off by one unit) fail the comparison")
    func catchesDifference() async throws {
        try await Self.withSourceAndTarget { source, target in
            var wrong = Self.readModels
            wrong[0] = .balance(BalanceRow(account: "party/pty_Zed/available", asset: "USDC", units: 701))
            let error = await #expect(throws: KuraError.self) {
                try await DatabaseCopy.copy(from: source, to: target, rebuild: Self.rebuild(wrong))
            }
            #expect(error?.code == .verificationFailed)
        }
    }
}
