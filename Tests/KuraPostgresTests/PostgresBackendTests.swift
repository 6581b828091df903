import Foundation
import KuraCore
import KuraCrypto
import KuraPostgres
import KuraStore
import KuraTesting
import Testing

/// The PostgreSQL backend behind the storage boundary: the schema and its versions, the log's guards and
/// the application role, batches through the writer session, two writers on one database, reads that
/// survive a lost session, and the same rows (digest, head) as the SQLite backend for the same batches.
@Suite("PostgreSQL backend")
struct PostgresBackendTests {
    /// `count` events sealed as the writer seals them, after `head`: each the first of its own stream.
    static func events(after head: LogHead, count: Int = 3) throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        var previous = head
        for offset in 0..<count {
            let name = "test/s\(previous.seq + 1)"
            let version: UInt64 = 1
            let payload: JSONValue = ["n": .number(Double(offset)), "note": "ü €"]
            let bytes = try payload.canonicalBytes()
            let event = Event(
                seq: previous.seq + 1, stream: name, version: version, type: "test.happened", payload: payload,
                canonicalPayload: bytes, at: Timestamp(milliseconds: 1_700_000_000_000 + Int64(offset)),
                actor: "pty_test", commandId: "cmd-\(previous.seq + 1)", prevHash: previous.hash)
            out.append(StoredEvent(event: event, canonicalPayload: bytes))
            previous = LogHead(seq: event.seq, hash: event.hash)
        }
        return out
    }

    /// Row changes whose keys sort differently bytewise than in a natural-language collation.
    static let changes: [RowChange] = [
        .balance(BalanceRow(account: "party/pty_Zed/available", asset: "USDC", units: 700)),
        .balance(BalanceRow(account: "party/pty_abc/available", asset: "USDC", units: -200)),
        .balance(BalanceRow(account: "party/pty_élan/available", asset: "USDC", units: -500)),
        .receipt(
            ReceiptRow(
                index: 0, seq: 1, kind: "escrow.locked", subject: "esc_a", payer: PartyID(unchecked: "pty_abc"),
                payee: PartyID(unchecked: "pty_Zed"), json: Array(#"{"kind":"escrow.locked"}"#.utf8))),
        .merkleNode(MerkleNode(level: 0, index: 0, hash: Array(repeating: 7, count: 32))),
        .checkpoint(CheckpointRow(size: 1, keyName: "kura.test/log", root: [1, 2, 3], note: "note\n")),
        .idempotency(IdempotencyRecord(key: "k-1", requestHash: [9, 9], response: Array("{}".utf8), seq: 1)),
        .nonce(NonceRow(party: PartyID(unchecked: "pty_abc"), nonce: "n-1", at: 5)),
    ]

    static func backend(_ database: TestPostgresDatabase, create: Bool = true) throws -> PostgresBackend {
        try PostgresBackend(.init(url: database.url, create: create))
    }

    /// One batch through a writer session: begin, write, commit; returns the new head.
    @discardableResult
    static func commit(_ session: any WriterSession, count: Int = 3, changes: [RowChange] = []) throws -> LogHead {
        let head = try session.begin()
        let events = try events(after: head, count: count)
        do {
            try session.write(BatchWrite(events: events, changes: changes))
            try session.commit()
        } catch {
            session.rollback()
            throw error
        }
        let last = events.last!.event
        return LogHead(seq: last.seq, hash: last.hash)
    }

    /// Migration 2: the receipt tree keeps subtrees of 8 leaves and more (`MerkleNode.lowestStoredLevel`); what a
    /// version-1 database stored below that is removed, once.
    @Test("migration 2 removes the Merkle nodes below the lowest stored level a version-1 database kept")
    func migrationTwo() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        try Self.backend(database).close()
        let db = try PostgresConnection(database.url)
        defer { db.close() }
        for (level, index) in [(0, 0), (1, 0), (2, 0), (3, 0)] {
            try db.result(
                "INSERT INTO merkle_nodes(level, idx, hash) VALUES ($1, $2, $3)",
                [.integer(Int64(level)), .integer(Int64(index)), .blob(Array(repeating: 7, count: 32))])
        }
        try db.result("DELETE FROM kura_schema_versions WHERE version >= 2", [])
        let reopened = try Self.backend(database, create: false)
        defer { reopened.close() }
        #expect(reopened.schema.from == 1 && reopened.schema.to == PostgresSchema.currentVersion)
        let levels = try db.scalar("SELECT string_agg(level::text, ',' ORDER BY level) FROM merkle_nodes")
        #expect(levels == .text("3"))
    }

    /// Migration 4: open escrows' and reservations' holds are kept on their rows; the balance rows a version-3
    /// database kept for them are removed, once, and new ones refused.
    @Test("migration 4 removes the balance rows of escrows' and reservations' holds and refuses new ones")
    func migrationFour() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        try Self.backend(database).close()
        let db = try PostgresConnection(database.url)
        defer { db.close() }
        try db.result("DROP TRIGGER balances_refuse_kept_holds ON balances", [])
        for account in ["escrow/esc_1/held", "reservation/res_1/held", "channel/ch_1/held", "party/pty_a/available"] {
            try db.result(
                "INSERT INTO balances(account, asset, balance) VALUES ($1, 'USDC', 5)", [.text(account)])
        }
        try db.result("DELETE FROM kura_schema_versions WHERE version >= 4", [])
        let reopened = try Self.backend(database, create: false)
        defer { reopened.close() }
        #expect(reopened.schema.from == 3 && reopened.schema.to == PostgresSchema.currentVersion)
        let kept = try db.scalar("SELECT string_agg(account, ',' ORDER BY account) FROM balances")
        #expect(kept == .text("channel/ch_1/held,party/pty_a/available"))
        #expect(throws: KuraError.self) {
            try db.result("INSERT INTO balances(account, asset, balance) VALUES ('escrow/esc_2/held', 'USDC', 1)", [])
        }
    }

    @Test("an empty database gets the schema at the current version; opening again changes nothing")
    func schema() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let first = try Self.backend(database)
        #expect(first.schema.from == 0 && first.schema.to == PostgresSchema.currentVersion)
        first.close()
        let again = try Self.backend(database, create: false)
        #expect(again.schema.from == PostgresSchema.currentVersion && again.schema.to == PostgresSchema.currentVersion)
        let versions = try await again.read(.standard) { session throws(KuraError) in
            try (session as! SQLReadSession).connection.rows(
                "SELECT version FROM kura_schema_versions ORDER BY version", []
            ) { row throws(KuraError) in row.int64(0) }
        }
        #expect(versions == Array(1...Int64(PostgresSchema.currentVersion)))
        again.close()
        let db = try PostgresConnection(database.url)
        let collation = try db.scalar(
            "SELECT collation_name FROM information_schema.columns WHERE table_name = 'balances' AND column_name = 'account'"
        )
        #expect(collation == .text("C"))
    }

    @Test("a database at a schema version newer than this kura is refused, and no migration runs on it")
    func newerSchema() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        try Self.backend(database).close()
        let db = try PostgresConnection(database.url)
        defer { db.close() }
        let newer = PostgresSchema.currentVersion + 1
        try db.result(
            "INSERT INTO kura_schema_versions(version, name) VALUES ($1, $2)",
            [.integer(Int64(newer)), .text("future")])
        let refused = #expect(throws: KuraError.self) { try Self.backend(database, create: false) }
        #expect(refused?.code == .unsupportedDatabase)
        #expect(refused?.detail.contains("newer than this kura") == true, "\(String(describing: refused))")
        #expect(try db.scalar("SELECT count(*) FROM kura_schema_versions") == .integer(Int64(newer)))
    }

    @Test("a database with other tables is refused and left alone; an empty one is not created without create")
    func foreignAndEmpty() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let empty = #expect(throws: KuraError.self) { try Self.backend(database, create: false) }
        #expect(empty?.code == .notFound)
        let db = try PostgresConnection(database.url)
        try db.execute("CREATE TABLE customers(id INTEGER)")
        let foreign = #expect(throws: KuraError.self) { try Self.backend(database) }
        #expect(foreign?.code == .unsupportedDatabase)
        #expect(try db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == .integer(1))
    }

    @Test("a batch commits events and rows; reads see them; the chain verifies")
    func batch() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let backend = try Self.backend(database)
        defer { backend.close() }
        let session = try backend.makeWriterSession()
        #expect(try session.begin() == .empty)
        session.rollback()
        let head = try Self.commit(session, count: 5, changes: Self.changes)
        let (stored, report, balance, record, nonce, events) = try await backend.read(.standard) {
            session throws(KuraError) in
            (
                try session.head(), try session.verifyChain(),
                try session.balance(account: "party/pty_élan/available", asset: "USDC"),
                try session.idempotency("k-1"),
                try session.nonceExists(party: PartyID(unchecked: "pty_abc"), nonce: "n-1"),
                try session.events(after: 0, limit: 100)
            )
        }
        #expect(stored == head)
        #expect(report.isValid && report.count == 5)
        #expect(balance == -500)
        #expect(record?.requestHash == [9, 9])
        #expect(nonce)
        #expect(events.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(events.first?.payload["note"] == "ü €")
    }

    @Test("the log refuses UPDATE, DELETE and TRUNCATE, a gap, a broken link and a skipped version")
    func logGuards() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let backend = try Self.backend(database)
        defer { backend.close() }
        let session = try backend.makeWriterSession()
        let head = try Self.commit(session, count: 3)
        let db = try PostgresConnection(database.url)
        for statement in [
            "UPDATE events SET actor = 'mallory' WHERE seq = 2", "DELETE FROM events WHERE seq = 3",
            "TRUNCATE events",
        ] {
            let error = #expect(throws: KuraError.self, "\(statement)") { try db.execute(statement) }
            #expect(error?.detail.contains("append-only") == true, "\(statement)")
        }
        // A well-formed event at the wrong place: seq + 2, a wrong prevHash, a version that skips one.
        let next = try Self.events(after: head, count: 1)[0].event
        let gap = try Self.events(after: LogHead(seq: head.seq + 1, hash: head.hash), count: 1)[0].event
        let unlinked = try Self.events(after: LogHead(seq: head.seq, hash: Array(repeating: 1, count: 32)), count: 1)[0]
            .event
        let skipped = next
        for (name, event, version) in [
            ("gap", gap, gap.version), ("unlinked", unlinked, unlinked.version), ("skipped", skipped, UInt64(5)),
        ] {
            let error = #expect(throws: KuraError.self, "\(name)") {
                try db.run(
                    "INSERT INTO events(seq, stream, version, type, payload, at, actor, command_id, prev_hash, hash) "
                        + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    [
                        .integer(Int64(event.seq)), .text(event.stream), .integer(Int64(version)), .text(event.type),
                        .text("{}"), .integer(0), .text("x"), .text("x"), .blob(event.prevHash), .blob(event.hash),
                    ])
            }
            #expect(error?.code == .versionConflict, "\(name)")
        }
        #expect(next.seq == head.seq + 1)
        #expect(try db.scalar("SELECT count(*) FROM events") == .integer(3))
    }

    @Test("the application role may append and write read models but not change the log, triggers or not")
    func applicationRole() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let backend = try Self.backend(database)
        backend.close()
        let db = try PostgresConnection(database.url)
        #expect(try PostgresRoles.ensure(db))
        try Self.commit(try PostgresWriterSessionFactory.session(database.url, role: "kura_app"), count: 2)
        // Even with the triggers out of the way (only the owner can do that), the role has no UPDATE/DELETE.
        try db.execute("ALTER TABLE events DISABLE TRIGGER USER")
        try db.execute("SET ROLE kura_app")
        for statement in ["UPDATE events SET actor = 'x'", "DELETE FROM events", "TRUNCATE events"] {
            let error = #expect(throws: KuraError.self, "\(statement)") { try db.execute(statement) }
            #expect(error?.detail.contains("42501") == true, "\(statement): \(error?.detail ?? "")")
        }
        try db.execute("UPDATE balances SET balance = balance WHERE false")
        try db.execute("RESET ROLE")
        #expect(try db.scalar("SELECT count(*) FROM events") == .integer(2))
    }

    @Test("two writers on one database: the second waits for the first's lock and sees its head")
    func twoWriters() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let a = try Self.backend(database)
        let b = try Self.backend(database, create: false)
        defer {
            a.close()
            b.close()
        }
        let first = PostgresWriterSessionFactory.Box(try a.makeWriterSession())
        let start = try first.session.begin()
        let events = try Self.events(after: start, count: 2)
        try first.session.write(BatchWrite(events: events))
        let second = PostgresWriterSessionFactory.Box(try b.makeWriterSession())
        // Both sides run on threads of their own: the second writer blocks in `begin`, and the first commits 300 ms
        // later whatever the cooperative threads are doing. With either on a cooperative thread, a loaded run on two
        // cores starved the first's commit until the server ended its session, idle in its transaction for 60 s
        // (twice in fresh-clone checks, the second time with only the second writer moved).
        let waited = PostgresWriterSessionFactory.ThreadCall { () throws -> LogHead in
            let head = try second.session.begin()
            second.session.rollback()
            return head
        }
        let committed = PostgresWriterSessionFactory.ThreadCall { () throws in
            Thread.sleep(forTimeInterval: 0.3)
            try first.session.commit()
        }
        try await committed.value
        let seen = try await waited.value
        #expect(seen == LogHead(seq: 2, hash: events.last!.event.hash))
        // And the second continues the chain from there.
        let head = try Self.commit(second.session, count: 2)
        #expect(head.seq == 4)
        let report = try await a.read(.standard) { session throws(KuraError) in try session.verifyChain() }
        #expect(report.isValid && report.count == 4)
    }

    @Test("writer and readers reconnect by themselves after the server ends their sessions")
    func lostSessions() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let backend = try Self.backend(database)
        defer { backend.close() }
        let session = try backend.makeWriterSession()
        try Self.commit(session, count: 1)
        _ = try await backend.read(.auth) { session throws(KuraError) in try session.head() }
        let admin = try PostgresConnection(database.url)
        let killed = try admin.result(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [.text(database.name)])
        #expect(killed.count >= 4)
        for lane in ReadLane.allCases {
            let head = try await backend.read(lane) { session throws(KuraError) in try session.head() }
            #expect(head.seq == 1, "\(lane)")
        }
        let head = try Self.commit(session, count: 2)
        #expect(head.seq == 3)
    }

    @Test("the same batches give the same head and projection digest on SQLite and PostgreSQL")
    func sameAsSQLite() async throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sqlite = try SQLiteBackend(.init(path: directory.path("kura.sqlite"), create: true, durable: false))
        let postgres = try Self.backend(database)
        defer {
            sqlite.close()
            postgres.close()
        }
        var heads: [LogHead] = []
        for backend in [sqlite, postgres] as [any StorageBackend] {
            let session = try backend.makeWriterSession()
            try Self.commit(session, count: 4, changes: Self.changes)
            heads.append(
                try Self.commit(session, count: 3, changes: [.balance(.init(account: "fees", asset: "USDC", units: 0))])
            )
            session.close()
        }
        #expect(heads[0] == heads[1])
        let digests = try await [sqlite, postgres].asyncMap { backend in
            try await backend.read(.standard) { session throws(KuraError) in try session.projectionDigest() }
        }
        #expect(digests[0] == digests[1])
        let balances = try await [sqlite, postgres].asyncMap { backend in
            try await backend.read(.standard) { session throws(KuraError) in try session.unbalancedAssets() }
        }
        #expect(balances[0] == balances[1])
        #expect(balances[0].isEmpty)
    }
}

/// Helpers for sessions under another role and for moving a session into a task.
enum PostgresWriterSessionFactory {
    /// A writer session whose connection acts as `role` (as a node logged in as a member of it would).
    static func session(_ url: PostgresURL, role: String) throws -> any WriterSession {
        let backend = try PostgresBackend(.init(url: url.setting("options", "-c role=\(role)")))
        return try backend.makeWriterSession()
    }

    /// A call that blocks, started now on a new thread (never a cooperative one, so that busy cooperative threads
    /// cannot delay it); its result is awaited later, also without blocking a cooperative thread.
    final class ThreadCall<T: Sendable>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<T, any Error>?

        init(_ body: @escaping @Sendable () throws -> T) {
            Thread.detachNewThread {
                self.result = Result { try body() }
                self.done.signal()
            }
        }

        var value: T {
            get async throws {
                await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        self.done.wait()
                        continuation.resume()
                    }
                }
                return try result!.get()
            }
        }
    }

    final class Box: @unchecked Sendable {
        let session: any WriterSession
        init(_ session: any WriterSession) { self.session = session }
    }
}

extension Array where Element == any StorageBackend {
    func asyncMap<T>(_ body: (any StorageBackend) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await body(element)) }
        return out
    }
}
