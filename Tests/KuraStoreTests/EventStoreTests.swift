import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

@Suite struct EventStoreTests {
    // MARK: Appending and reading back

    @Test("appended events read back field for field, chained from the genesis hash")
    func appendAndReadBack() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"))
        defer { store.close() }
        #expect(try store.head() == .empty)
        let empty = try store.verify()
        #expect(empty.isValid && empty.count == 0 && empty.head == .empty)

        let payload: JSONValue = [
            "amount": 1_000_000, "memo": "café \"q\" \u{1F600}\n", "tags": ["b", "a"], "ok": true,
        ]
        let outcome = try await store.append(
            [
                NewEvent(stream: "escrow/esc_1", type: "escrow.locked", payload: payload, expectedVersion: 0),
                NewEvent(stream: "escrow/esc_1", type: "escrow.delivered", payload: ["at": 5]),
            ],
            actor: "pty_alice", commandId: "cmd-1", at: Timestamp(milliseconds: 1_732_400_000_000), idempotency: nil,
            response: [])
        #expect(!outcome.replayed)
        let written = outcome.events
        try #require(written.count == 2)
        #expect(written[0].seq == 1 && written[1].seq == 2)
        #expect(written[0].version == 1 && written[1].version == 2)
        #expect(written[0].prevHash == Event.genesisHash)
        #expect(written[1].prevHash == written[0].hash)
        #expect(written[0].payload == payload)
        #expect(written[0].actor == "pty_alice" && written[0].commandId == "cmd-1")
        #expect(written[0].at == Timestamp(milliseconds: 1_732_400_000_000))
        #expect(written[0].type == "escrow.locked" && written[1].type == "escrow.delivered")

        // What is read back equals what was acknowledged, hash included, by both read paths.
        #expect(try store.events(after: 0, limit: 10) == written)
        #expect(try store.events(inStream: "escrow/esc_1") == written)
        #expect(try store.events(after: 1, limit: 10) == [written[1]])
        #expect(try store.events(after: 0, limit: 1) == [written[0]])
        #expect(try store.events(after: 2, limit: 10) == [])
        #expect(try store.events(inStream: "escrow/esc_2") == [])
        #expect(try store.head() == LogHead(seq: 2, hash: written[1].hash))
        let report = try store.verify()
        #expect(report.isValid)
        #expect(report.count == 2)
        #expect(report.head == LogHead(seq: 2, hash: written[1].hash))

        // The hash is SHA-256 of the event's canonical JSON without `hash`.
        var body = try #require(written[0].json.objectValue)
        body["hash"] = nil
        #expect(written[0].hash == SHA256.hash(try JSONValue.object(body).canonicalBytes()))
    }

    @Test("a reopened store continues the same chain")
    func reopen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("log.sqlite")
        let first = try openStore(path)
        let a = try await appendOne(first, stream: "s/1")
        first.close()
        let second = try openStore(path, create: false)
        defer { second.close() }
        #expect(try second.events(after: 0, limit: 10) == [a])
        let b = try await appendOne(second, stream: "s/1")
        #expect(b.seq == 2 && b.version == 2 && b.prevHash == a.hash)
        #expect(try second.verify().isValid)
    }

    @Test("seq is gapless across streams and each stream counts its own versions")
    func gaplessSeqAndVersions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        let streams = ["a", "b", "a", "c", "a", "b", "c", "c", "a"]
        var expectedVersions: [String: UInt64] = [:]
        for (index, stream) in streams.enumerated() {
            let event = try await appendOne(store, stream: stream, commandId: "c\(index)")
            expectedVersions[stream, default: 0] += 1
            #expect(event.seq == UInt64(index + 1))
            #expect(event.version == expectedVersions[stream])
        }
        for (stream, count) in expectedVersions {
            #expect(try store.events(inStream: stream).map(\.version) == Array(1...count))
        }
        #expect(try allEvents(store).map(\.seq) == Array(1...UInt64(streams.count)))
        #expect(try store.verify().count == UInt64(streams.count))
    }

    // MARK: Optimistic concurrency

    @Test("a stale expected version is version_conflict and writes nothing")
    func versionConflict() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        try await appendOne(store, stream: "s", expectedVersion: 0)
        try await appendOne(store, stream: "s", expectedVersion: 1)
        let head = try store.head()

        for stale: UInt64 in [0, 1, 3] {
            let error = await #expect(throws: KuraError.self) {
                try await appendOne(store, stream: "s", expectedVersion: stale)
            }
            #expect(error?.code == .versionConflict, "expected version \(stale)")
        }
        // A command whose second event conflicts writes neither event.
        let error = await #expect(throws: KuraError.self) {
            try await store.append(
                [
                    NewEvent(stream: "other", type: "t", payload: [:], expectedVersion: 0),
                    NewEvent(stream: "s", type: "t", payload: [:], expectedVersion: 1),
                ],
                actor: "a", commandId: "c", at: Timestamp(milliseconds: 0), idempotency: nil, response: [])
        }
        #expect(error?.code == .versionConflict)
        #expect(try store.head() == head)
        #expect(try store.events(inStream: "other") == [])
        #expect(try store.events(inStream: "s").count == 2)
        // The right version still goes through.
        #expect(try await appendOne(store, stream: "s", expectedVersion: 2).version == 3)
        #expect(try store.verify().isValid)
    }

    @Test(
        "a payload that is not a JSON object, or not representable, is refused and writes nothing",
        arguments: [JSONValue.array([1]), .string("x"), .number(1), .null, ["x": .number(.infinity)]])
    func badPayload(_ payload: JSONValue) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        let error = await #expect(throws: KuraError.self) { try await appendOne(store, stream: "s", payload: payload) }
        #expect(error?.code == .invalidRequest)
        #expect(try store.head() == .empty)
    }

    // MARK: Idempotency

    @Test("same key and request replays the stored response; a different request is idempotency_conflict")
    func idempotency() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        let key = IdempotencyKey(key: "pty_a/key-1", requestHash: SHA256.hash("request A"))
        let event = NewEvent(stream: "s", type: "t", payload: ["n": 1])
        let first = try await store.append(
            [event], actor: "a", commandId: "c1", at: Timestamp(milliseconds: 1), idempotency: key,
            response: Array("first answer".utf8))
        #expect(!first.replayed)
        #expect(first.events.count == 1)
        let head = try store.head()

        // Same key, same request: the first answer, even if the retry carries other events and response.
        let again = try await store.append(
            [event, event], actor: "a", commandId: "c2", at: Timestamp(milliseconds: 2), idempotency: key,
            response: Array("second answer".utf8))
        #expect(again.replayed)
        #expect(again.events == [])
        #expect(again.response == Array("first answer".utf8))
        #expect(try store.head() == head)

        // Same key, different request.
        let conflict = await #expect(throws: KuraError.self) {
            try await store.append(
                [event], actor: "a", commandId: "c3", at: Timestamp(milliseconds: 3),
                idempotency: IdempotencyKey(key: "pty_a/key-1", requestHash: SHA256.hash("request B")), response: [])
        }
        #expect(conflict?.code == .idempotencyConflict)
        #expect(try store.head() == head)

        // Another key is independent.
        let other = try await store.append(
            [event], actor: "a", commandId: "c4", at: Timestamp(milliseconds: 4),
            idempotency: IdempotencyKey(key: "pty_a/key-2", requestHash: SHA256.hash("request A")), response: [7])
        #expect(!other.replayed && other.events.first?.seq == 2)
        #expect(try store.verify().count == 2)
    }

    @Test("a key whose command failed is not recorded: the corrected retry goes through")
    func idempotencyKeyNotRecordedOnFailure() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        let key = IdempotencyKey(key: "k", requestHash: SHA256.hash("r"))
        await #expect(throws: KuraError.self) {
            try await store.append(
                [NewEvent(stream: "s", type: "t", payload: [:], expectedVersion: 5)], actor: "a", commandId: "c",
                at: Timestamp(milliseconds: 0), idempotency: key, response: [1])
        }
        let retry = try await store.append(
            [NewEvent(stream: "s", type: "t", payload: [:], expectedVersion: 0)], actor: "a", commandId: "c",
            at: Timestamp(milliseconds: 0), idempotency: key, response: [2])
        #expect(!retry.replayed)
        #expect(retry.events.map(\.seq) == [1])
    }

    @Test("the same key sent by many callers at once is written exactly once")
    func idempotencyUnderConcurrency() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"))
        defer { store.close() }
        let key = IdempotencyKey(key: "once", requestHash: SHA256.hash("same"))
        let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
            for i in 0..<24 {
                group.addTask {
                    try await store.append(
                        [NewEvent(stream: "s", type: "t", payload: ["i": .number(Double(i))])], actor: "a",
                        commandId: "c\(i)", at: Timestamp(milliseconds: 0), idempotency: key, response: [UInt8(i)])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let fresh = outcomes.filter { !$0.replayed }
        try #require(fresh.count == 1)
        #expect(outcomes.allSatisfy { $0.response == fresh[0].response })
        #expect(try store.head().seq == 1)
        #expect(try store.events(after: 0, limit: 10) == fresh[0].events)
    }

    // MARK: Group commit

    @Test("a failing command in a batch is undone alone; its neighbours commit and the chain verifies")
    func failingCommandDoesNotAbortNeighbours() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"))
        defer { store.close() }

        // Hold the writer with a slow first command so the rest queue up and share the next batch.
        let started = Latch()
        async let blocker: Event = store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Event in
            started.open()
            Thread.sleep(forTimeInterval: 0.3)
            return try tx.append(
                NewEvent(stream: "blocker", type: "t", payload: [:]), actor: "a", commandId: "b",
                at: Timestamp(milliseconds: 0))
        }
        await started.wait()

        enum Outcome: Sendable {
            case good(Int, [Event])
            case bad(Int, KuraError)
        }
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let failing = i % 3 == 1
                    do throws(KuraError) {
                        let events = try await store.transact {
                            (tx: inout WriteTransaction) throws(KuraError) -> [Event] in
                            let first = try tx.append(
                                NewEvent(
                                    stream: failing ? "bad/\(i)" : "good/\(i)", type: "t",
                                    payload: ["i": .number(Double(i))]),
                                actor: "a", commandId: "c\(i)", at: Timestamp(milliseconds: Int64(i)))
                            let second = try tx.append(
                                NewEvent(stream: "shared", type: "t", payload: ["i": .number(Double(i))]),
                                actor: "a", commandId: "c\(i)", at: Timestamp(milliseconds: Int64(i)))
                            if failing {
                                // Fail after writing, in one of two ways.
                                if i % 2 == 0 { throw KuraError(.invalidTransition, "command \(i) refuses") }
                                try tx.append(
                                    NewEvent(stream: "shared", type: "t", payload: [:], expectedVersion: 0), actor: "a",
                                    commandId: "c\(i)", at: Timestamp(milliseconds: 0))
                            }
                            return [first, second]
                        }
                        return .good(i, events)
                    } catch {
                        return .bad(i, error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let blockEvent = try await blocker
        #expect(blockEvent.seq == 1)

        var acknowledged: [Event] = [blockEvent]
        for outcome in outcomes {
            switch outcome {
            case .good(let i, let events):
                #expect(i % 3 != 1, "command \(i) should have failed")
                acknowledged += events
            case .bad(let i, let error):
                #expect(i % 3 == 1, "command \(i) should have succeeded: \(error)")
                #expect(error.code == (i % 2 == 0 ? .invalidTransition : .versionConflict))
            }
        }
        let stored = try allEvents(store)
        // Every good command is there, exactly as acknowledged; nothing of a bad one is.
        #expect(Set(stored.map { Hex.encode($0.hash) }) == Set(acknowledged.map { Hex.encode($0.hash) }))
        let goodCommands = (0..<40).filter { $0 % 3 != 1 }.count
        #expect(stored.count == 1 + 2 * goodCommands)
        #expect(!stored.contains { $0.stream.hasPrefix("bad/") })
        #expect(stored.map(\.seq) == Array(1...UInt64(stored.count)))
        #expect(try store.events(inStream: "shared").map(\.version) == Array(1...UInt64(stored.count / 2)))
        let report = try store.verify()
        #expect(report.isValid)
        #expect(report.head == LogHead(seq: UInt64(stored.count), hash: stored.last?.hash ?? []))
    }

    @Test("a command sees the writes of the commands ordered before it in the same batch")
    func transactSeesEarlierCommands() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        defer { store.close() }
        let versions = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> UInt64 in
                        let before = try tx.version(of: "counter")
                        let event = try tx.append(
                            NewEvent(stream: "counter", type: "t", payload: [:], expectedVersion: before), actor: "a",
                            commandId: "c", at: Timestamp(milliseconds: 0))
                        guard event.seq == tx.head.seq, tx.nextSeq == event.seq + 1 else {
                            throw KuraError(.internalError, "head not advanced")
                        }
                        return event.version
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...16))
    }

    // MARK: Append-only

    @Test(
        "triggers refuse UPDATE and DELETE on events",
        arguments: [
            "UPDATE events SET payload = '{\"n\":2}' WHERE seq = 1", "UPDATE events SET hash = zeroblob(32)",
            "UPDATE events SET seq = 99 WHERE seq = 2", "DELETE FROM events WHERE seq = 2", "DELETE FROM events",
        ])
    func triggersRefuseChanges(_ sql: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("log.sqlite")
        let store = try openStore(path, durable: false)
        defer { store.close() }
        try await appendOne(store, stream: "s")
        try await appendOne(store, stream: "s")
        let before = try allEvents(store)

        let raw = try SQLiteConnection(path: path, create: false)
        let error = #expect(throws: KuraError.self) { try raw.execute(sql) }
        #expect(error?.detail.contains("append-only") == true)
        #expect(try allEvents(store) == before)
        #expect(try raw.scalar("SELECT count(*) FROM events")?.int64 == 2)
        #expect(try store.verify().isValid)
    }

    // MARK: Opening files

    @Test("a missing file without create is not_found, and nothing is created")
    func missingFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("absent.sqlite")
        let error = #expect(throws: KuraError.self) { try openStore(path, create: false) }
        #expect(error?.code == .notFound)
        #expect(noDatabaseFiles(at: path))
        #expect(dir.contents() == [])
    }

    @Test(
        "a file that is not a database is unsupported_database, and it is left untouched",
        arguments: [
            Data("hello, this is a text file\n".utf8), Data(repeating: 0xAB, count: 8192),
            Data("SQLite format 3\u{0}".utf8) + Data(repeating: 0xFF, count: 200),
        ])
    func notADatabase(_ content: Data) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("notes.txt")
        _ = FileManager.default.createFile(atPath: path, contents: content)
        for create in [false, true] {
            let error = #expect(throws: KuraError.self) { try openStore(path, create: create) }
            #expect(error?.code == .unsupportedDatabase)
        }
        #expect(fileBytes(path) == content)
        #expect(dir.contents() == ["notes.txt"])
    }

    @Test("a directory is refused")
    func directory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: KuraError.self) { try openStore(dir.url.path, create: false) }
    }

    /// Another program's SQLite file: refused, and not converted (no Kura tables added, journal mode kept).
    @Test(
        "an SQLite file that is not Kura's is refused and left as it was",
        arguments: [
            "CREATE TABLE people(name TEXT)",
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('format', 'other-app-2')",
            "CREATE TABLE meta(id INTEGER PRIMARY KEY, blob BLOB)",
        ])
    func foreignSQLite(_ schema: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("other.sqlite")
        do {
            let raw = try SQLiteConnection(path: path, create: true)
            try raw.execute(schema)
        }
        for create in [false, true] {
            let error = #expect(throws: KuraError.self) { try openStore(path, create: create) }
            #expect(error?.code == .unsupportedDatabase)
        }
        let raw = try SQLiteConnection(path: path, create: false)
        #expect(
            try raw.scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'idempotency')")?.int64 == 0)
        #expect(try raw.scalar("PRAGMA journal_mode")?.text == "delete")
    }

    @Test("an empty (zero-byte) file is refused without create, initialised with create")
    func emptyFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("empty.sqlite")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let error = #expect(throws: KuraError.self) { try openStore(path, create: false) }
        #expect(error?.code == .unsupportedDatabase)
        let store = try openStore(path, create: true)
        defer { store.close() }
        #expect(try await appendOne(store, stream: "s").seq == 1)
    }

    @Test("stores dropped without close() (or right after opening) neither crash nor block the file")
    func droppedWithoutClose() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("log.sqlite")
        for i in 0..<40 {
            // Released at once: the writer thread may not even have started yet.
            _ = try openStore(path, durable: false, readers: 1)
            if i % 10 == 0 {
                let store = try openStore(path, durable: false, readers: 1)
                try await appendOne(store, stream: "s")
            }
        }
        let store = try openStore(path, create: false)
        defer { store.close() }
        #expect(try await appendOne(store, stream: "s").seq == 5)
        #expect(try store.verify().isValid)
    }

    @Test("appends after close fail cleanly")
    func appendAfterClose() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: false)
        try await appendOne(store, stream: "s")
        store.close()
        let error = await #expect(throws: KuraError.self) { try await appendOne(store, stream: "s") }
        #expect(error?.code == .storageFailure)
        #expect(try store.head().seq == 1)
    }

    // MARK: Two processes on one file

    @Test("two stores on one file (as two processes) append alternately: seq 1…N, one valid chain")
    func catchUpAlternating() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("shared.sqlite")
        let a = try openStore(path)
        defer { a.close() }
        let b = try openStore(path, create: false)
        defer { b.close() }
        var acknowledged: [Event] = []
        for i in 0..<30 {
            let store = i % 2 == 0 ? a : b
            // Both write one shared stream (each must see the other's versions) and one of their own.
            let shared = try await appendOne(store, stream: "shared", expectedVersion: UInt64(i), commandId: "s\(i)")
            let own = try await appendOne(store, stream: i % 2 == 0 ? "only-a" : "only-b", commandId: "o\(i)")
            #expect(shared.seq == UInt64(2 * i + 1) && own.seq == UInt64(2 * i + 2))
            #expect(shared.version == UInt64(i + 1) && own.version == UInt64(i / 2 + 1))
            #expect(shared.prevHash == (acknowledged.last?.hash ?? Event.genesisHash))
            acknowledged += [shared, own]
        }
        #expect(try allEvents(a) == acknowledged)
        #expect(try allEvents(b) == acknowledged)
        #expect(try a.head() == b.head())
        #expect(try a.verify() == b.verify())
        #expect(try a.verify().isValid && a.verify().count == 60)
    }

    @Test("two stores on one file appending at the same time still give one gapless chain")
    func catchUpConcurrent() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("shared.sqlite")
        let a = try openStore(path)
        defer { a.close() }
        let b = try openStore(path, create: false)
        defer { b.close() }
        let acknowledged = try await withThrowingTaskGroup(of: Event.self) { group in
            for i in 0..<80 {
                group.addTask { try await appendOne(i % 2 == 0 ? a : b, stream: "s/\(i % 5)", commandId: "c\(i)") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stored = try allEvents(b)
        #expect(stored.map(\.seq) == Array(1...80))
        #expect(Set(stored.map { Hex.encode($0.hash) }) == Set(acknowledged.map { Hex.encode($0.hash) }))
        for s in 0..<5 { #expect(try a.events(inStream: "s/\(s)").map(\.version) == Array(1...16)) }
        #expect(try a.verify().isValid)
    }
}

/// A one-shot gate: `wait()` returns once `open()` has been called (from any thread).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false

    func open() { lock.withLock { isOpen = true } }

    var opened: Bool { lock.withLock { isOpen } }

    func wait() async {
        while !opened { try? await Task.sleep(for: .milliseconds(5)) }
    }
}
