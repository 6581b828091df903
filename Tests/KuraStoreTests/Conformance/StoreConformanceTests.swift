import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

/// The store conformance suite: what every ``StorageBackend`` must do, run unchanged on each of
/// ``StoreBackends/all`` (SQLite always; PostgreSQL where a cluster is available). Append, chain, idempotency,
/// optimistic concurrency, group commit, catch-up with a second writer on the same database, tamper refusal.
/// The service-level half (receipts, proofs, replay, catch-up of the writer's state) is in
/// ``ServiceConformanceTests``.
@Suite struct StoreConformanceTests {
    /// A fresh database of `factory` and a store on it; `body` gets both; everything is closed and removed after.
    static func withStore(
        _ factory: StoreBackendFactory, durable: Bool = false,
        _ body: (any TestBackendDatabase, EventStore) async throws -> Void
    ) async throws {
        let database = try await factory.makeDatabase()
        defer { database.remove() }
        let store = try openStore(database, durable: durable)
        defer { store.close() }
        try await body(database, store)
    }

    // MARK: Appending and reading back

    @Test("appended events read back field for field, chained from the genesis hash", arguments: StoreBackends.all)
    func appendAndReadBack(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory, durable: true) { _, store in
            #expect(try await store.head() == .empty)
            let empty = try await store.verify()
            #expect(empty.isValid && empty.count == 0 && empty.head == .empty)

            let payload: JSONValue = [
                "amount": 1_000_000, "memo": "café \"q\" \u{1F600}\n", "tags": ["b", "a"], "ok": true,
            ]
            let outcome = try await store.append(
                [
                    NewEvent(stream: "escrow/esc_1", type: "escrow.locked", payload: payload, expectedVersion: 0),
                    NewEvent(stream: "escrow/esc_1", type: "escrow.delivered", payload: ["at": 5]),
                ],
                actor: "pty_alice", commandId: "cmd-1", at: Timestamp(milliseconds: 1_732_400_000_000),
                idempotency: nil, response: [])
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
            #expect(try await store.events(after: 0, limit: 10) == written)
            #expect(try await store.events(inStream: "escrow/esc_1") == written)
            #expect(try await store.events(after: 1, limit: 10) == [written[1]])
            #expect(try await store.events(after: 0, limit: 1) == [written[0]])
            #expect(try await store.events(after: 2, limit: 10) == [])
            #expect(try await store.events(inStream: "escrow/esc_2") == [])
            // The catch-up's read: the same events, their payloads parsed when asked, one member read alone.
            let tail = try await store.read { reads throws(KuraError) in try reads.tailEvents(after: 0, limit: 10) }
            #expect(tail == written)
            #expect(try tail[0].payloadMember("tags") == ["b", "a"])
            #expect(try tail[0].payloadMember("memo") == payload["memo"])
            #expect(try tail[1].payloadMember("postings") == nil)
            #expect(try await store.head() == LogHead(seq: 2, hash: written[1].hash))
            let report = try await store.verify()
            #expect(report.isValid)
            #expect(report.count == 2)
            #expect(report.head == LogHead(seq: 2, hash: written[1].hash))

            // The hash is SHA-256 of the event's canonical JSON without `hash`.
            var body = try #require(written[0].json.objectValue)
            body["hash"] = nil
            #expect(written[0].hash == SHA256.hash(try JSONValue.object(body).canonicalBytes()))
        }
    }

    /// A typed event that writes its own canonical bytes hands the writer no JSON value; the acknowledged event
    /// makes it when asked, and it is the one the log reads back.
    @Test(
        "an event appended from a typed event reads back field for field, payload included",
        arguments: StoreBackends.all)
    func typedEventReadBack(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory, durable: true) { _, store in
            let payer = PartyID(unchecked: "pty_payer")
            let terms = EscrowTerms(
                payer: payer, payee: PartyID(unchecked: "pty_payee"), amount: try Amount(units: 1_000),
                asset: try Asset("USDC"), deliverBy: Timestamp(milliseconds: 1_900_000_000_000))
            let typed = EscrowEvent.locked(
                id: EscrowID(unchecked: "esc_typed"), terms: terms,
                postings: [Posting.deposit(to: payer, asset: try Asset("USDC"), amount: try Amount(units: 1_000))])
            #expect(typed.encodedPayload.canonical != nil)
            let outcome = try await store.append(
                [NewEvent(stream: "escrow/esc_typed", event: typed)], actor: "pty_payer", commandId: "cmd-typed",
                at: Timestamp(milliseconds: 1_732_400_000_000), idempotency: nil, response: [])
            let written = try #require(outcome.events.first)
            #expect(written.payload == typed.payload)
            let read = try await store.events(after: 0, limit: 10)
            try #require(read.count == 1)
            #expect(read[0].json == written.json)
            #expect(try read[0].payload.canonicalBytes() == typed.encodedPayload.canonical)

            // A payload set by hand replaces the typed event and its bytes: what is stored is what is projected.
            var edited = NewEvent(stream: "escrow/esc_typed", event: typed)
            edited.payload = ["n": 1]
            #expect(edited.canonicalPayload == nil && edited.decoded == nil)
        }
    }

    /// A review finding: payload bytes handed over already written skipped the object check in release builds.
    @Test(
        "a payload that is not a JSON object is refused, written bytes or not, and writes nothing",
        arguments: StoreBackends.all)
    func nonObjectPayloads(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory, durable: true) { _, store in
            let refused = [
                NewEvent(stream: "s/1", type: "test.appended", payload: [1, 2]),
                NewEvent(stream: "s/1", type: "test.appended", payload: [], canonicalPayload: Array("[]".utf8)),
                NewEvent(stream: "s/1", type: "test.appended", payload: "x", canonicalPayload: Array("\"x\"".utf8)),
            ]
            for event in refused {
                do {
                    _ = try await store.append(
                        [event], actor: "pty_tester", commandId: "cmd", at: Timestamp(milliseconds: 1_732_400_000_000),
                        idempotency: nil, response: [])
                    Issue.record("a non-object payload was appended")
                } catch {
                    #expect((error as? KuraError)?.code == .invalidRequest)
                }
            }
            let head = try await store.head()
            #expect(head == .empty)
        }
    }

    @Test("a reopened store continues the same chain", arguments: StoreBackends.all)
    func reopen(_ factory: StoreBackendFactory) async throws {
        let database = try await factory.makeDatabase()
        defer { database.remove() }
        let first = try openStore(database)
        let a = try await appendOne(first, stream: "s/1")
        first.close()
        let second = try openStore(database)
        defer { second.close() }
        #expect(try await second.events(after: 0, limit: 10) == [a])
        let b = try await appendOne(second, stream: "s/1")
        #expect(b.seq == 2 && b.version == 2 && b.prevHash == a.hash)
        #expect(try await second.verify().isValid)
    }

    @Test("seq is gapless across streams and each stream counts its own versions", arguments: StoreBackends.all)
    func gaplessSeqAndVersions(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { _, store in
            let streams = ["a", "b", "a", "c", "a", "b", "c", "c", "a"]
            var expectedVersions: [String: UInt64] = [:]
            for (index, stream) in streams.enumerated() {
                let event = try await appendOne(store, stream: stream, commandId: "c\(index)")
                expectedVersions[stream, default: 0] += 1
                #expect(event.seq == UInt64(index + 1))
                #expect(event.version == expectedVersions[stream])
            }
            for (stream, count) in expectedVersions {
                #expect(try await store.events(inStream: stream).map(\.version) == Array(1...count))
            }
            #expect(try await allEvents(store).map(\.seq) == Array(1...UInt64(streams.count)))
            #expect(try await store.verify().count == UInt64(streams.count))
        }
    }

    // MARK: Optimistic concurrency

    @Test("a stale expected version is version_conflict and writes nothing", arguments: StoreBackends.all)
    func versionConflict(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { _, store in
            try await appendOne(store, stream: "s", expectedVersion: 0)
            try await appendOne(store, stream: "s", expectedVersion: 1)
            let head = try await store.head()
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
            #expect(try await store.head() == head)
            #expect(try await store.events(inStream: "other") == [])
            #expect(try await store.events(inStream: "s").count == 2)
            // The right version still goes through, and "other" is still new.
            #expect(try await appendOne(store, stream: "s", expectedVersion: 2).version == 3)
            #expect(try await appendOne(store, stream: "other", expectedVersion: 0).version == 1)
            #expect(try await store.verify().isValid)
        }
    }

    @Test(
        "a payload that is not a JSON object, or not representable, is refused and writes nothing",
        arguments: StoreBackends.all)
    func badPayload(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { _, store in
            for payload in [JSONValue.array([1]), .string("x"), .number(1), .null, ["x": .number(.infinity)]] {
                let error = await #expect(throws: KuraError.self) {
                    try await appendOne(store, stream: "s", payload: payload)
                }
                #expect(error?.code == .invalidRequest)
            }
            let head = try await store.head()
            #expect(head == .empty)
        }
    }

    // MARK: Idempotency

    @Test(
        "same key and request replays the stored response; a different request is idempotency_conflict",
        arguments: StoreBackends.all)
    func idempotency(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, store in
            let key = IdempotencyKey(key: "pty_a/key-1", requestHash: SHA256.hash("request A"))
            let event = NewEvent(stream: "s", type: "t", payload: ["n": 1])
            let first = try await store.append(
                [event], actor: "a", commandId: "c1", at: Timestamp(milliseconds: 1), idempotency: key,
                response: Array("first answer".utf8))
            #expect(!first.replayed)
            #expect(first.events.count == 1)
            let head = try await store.head()

            // Same key, same request: the first answer, even if the retry carries other events and response.
            let again = try await store.append(
                [event, event], actor: "a", commandId: "c2", at: Timestamp(milliseconds: 2), idempotency: key,
                response: Array("second answer".utf8))
            #expect(again.replayed)
            #expect(again.events == [])
            #expect(again.response == Array("first answer".utf8))
            #expect(try await store.head() == head)

            // Same key, different request.
            let conflict = await #expect(throws: KuraError.self) {
                try await store.append(
                    [event], actor: "a", commandId: "c3", at: Timestamp(milliseconds: 3),
                    idempotency: IdempotencyKey(key: "pty_a/key-1", requestHash: SHA256.hash("request B")),
                    response: [])
            }
            #expect(conflict?.code == .idempotencyConflict)
            #expect(try await store.head() == head)

            // Another key is independent.
            let other = try await store.append(
                [event], actor: "a", commandId: "c4", at: Timestamp(milliseconds: 4),
                idempotency: IdempotencyKey(key: "pty_a/key-2", requestHash: SHA256.hash("request A")), response: [7])
            #expect(!other.replayed && other.events.first?.seq == 2)
            #expect(try await store.verify().count == 2)

            // A second writer on the same database honours the key the first recorded.
            let second = try openStore(database)
            defer { second.close() }
            let elsewhere = try await second.append(
                [event], actor: "a", commandId: "c5", at: Timestamp(milliseconds: 5), idempotency: key, response: [9])
            #expect(elsewhere.replayed && elsewhere.response == Array("first answer".utf8))
        }
    }

    @Test("a key whose command failed is not recorded: the corrected retry goes through", arguments: StoreBackends.all)
    func idempotencyKeyNotRecordedOnFailure(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { _, store in
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
    }

    @Test("the same key sent by many callers at once is written exactly once", arguments: StoreBackends.all)
    func idempotencyUnderConcurrency(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory, durable: true) { _, store in
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
            #expect(try await store.head().seq == 1)
            #expect(try await store.events(after: 0, limit: 10) == fresh[0].events)
        }
    }

    // MARK: Group commit

    @Test(
        "a failing command in a batch is undone alone; its neighbours commit and the chain verifies",
        arguments: StoreBackends.all)
    func failingCommandDoesNotAbortNeighbours(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory, durable: true) { _, store in
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
                                    // Fail after appending, in one of two ways.
                                    if i % 2 == 0 { throw KuraError(.invalidTransition, "command \(i) refuses") }
                                    try tx.append(
                                        NewEvent(stream: "shared", type: "t", payload: [:], expectedVersion: 0),
                                        actor: "a", commandId: "c\(i)", at: Timestamp(milliseconds: 0))
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
            let stored = try await allEvents(store)
            // Every good command is there, exactly as acknowledged; nothing of a bad one is.
            #expect(Set(stored.map { Hex.encode($0.hash) }) == Set(acknowledged.map { Hex.encode($0.hash) }))
            let goodCommands = (0..<40).filter { $0 % 3 != 1 }.count
            #expect(stored.count == 1 + 2 * goodCommands)
            #expect(!stored.contains { $0.stream.hasPrefix("bad/") })
            #expect(stored.map(\.seq) == Array(1...UInt64(stored.count)))
            #expect(try await store.events(inStream: "shared").map(\.version) == Array(1...UInt64(stored.count / 2)))
            let report = try await store.verify()
            #expect(report.isValid)
            #expect(report.head == LogHead(seq: UInt64(stored.count), hash: stored.last?.hash ?? []))
        }
    }

    @Test("a command sees the writes of the commands ordered before it in the same batch", arguments: StoreBackends.all)
    func transactSeesEarlierCommands(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { _, store in
            let versions = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> UInt64 in
                            let before = try tx.version(of: "counter")
                            let history = try tx.events(inStream: "counter")
                            guard history.count == Int(before) else {
                                throw KuraError(.internalError, "the stream's events and version disagree")
                            }
                            let event = try tx.append(
                                NewEvent(stream: "counter", type: "t", payload: [:], expectedVersion: before),
                                actor: "a", commandId: "c", at: Timestamp(milliseconds: 0))
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
    }

    @Test("appends after close fail cleanly with storage_failure", arguments: StoreBackends.all)
    func appendAfterClose(_ factory: StoreBackendFactory) async throws {
        let database = try await factory.makeDatabase()
        defer { database.remove() }
        let store = try openStore(database)
        try await appendOne(store, stream: "s")
        store.close()
        let error = await #expect(throws: KuraError.self) { try await appendOne(store, stream: "s") }
        #expect(error?.code == .storageFailure)
        let reopened = try openStore(database)
        defer { reopened.close() }
        #expect(try await reopened.head().seq == 1)
    }

    // MARK: Two writers on one database (a CLI beside a server, or two nodes)

    @Test(
        "two stores on one database append alternately: seq 1…N, one valid chain, versions seen across writers",
        arguments: StoreBackends.all)
    func catchUpAlternating(_ factory: StoreBackendFactory) async throws {
        let database = try await factory.makeDatabase()
        defer { database.remove() }
        let a = try openStore(database)
        defer { a.close() }
        let b = try openStore(database)
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
        #expect(try await allEvents(a) == acknowledged)
        #expect(try await allEvents(b) == acknowledged)
        #expect(try await a.head() == b.head())
        #expect(try await a.verify() == b.verify())
        let report = try await a.verify()
        #expect(report.isValid && report.count == 60)
    }

    @Test(
        "two stores on one database appending at the same time still give one gapless chain",
        arguments: StoreBackends.all)
    func catchUpConcurrent(_ factory: StoreBackendFactory) async throws {
        let database = try await factory.makeDatabase()
        defer { database.remove() }
        let a = try openStore(database)
        defer { a.close() }
        let b = try openStore(database)
        defer { b.close() }
        let acknowledged = try await withThrowingTaskGroup(of: Event.self) { group in
            for i in 0..<80 {
                group.addTask { try await appendOne(i % 2 == 0 ? a : b, stream: "s/\(i % 5)", commandId: "c\(i)") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stored = try await allEvents(b)
        #expect(stored.map(\.seq) == Array(1...80))
        #expect(Set(stored.map { Hex.encode($0.hash) }) == Set(acknowledged.map { Hex.encode($0.hash) }))
        for s in 0..<5 { #expect(try await a.events(inStream: "s/\(s)").map(\.version) == Array(1...16)) }
        #expect(try await a.verify().isValid)
    }

    /// Review finding: the check followed only the events a writer appended itself, not an answer it gave from
    /// events already there (an idempotent replay of another node's command): those could vanish unnoticed.
    @Test(
        "a writer that answered from another node's events refuses to write once those events leave the log",
        arguments: StoreBackends.all)
    func answeredEventsLost(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, store in
            for i in 1...3 { try await appendOne(store, stream: "s/\(i)", commandId: "c\(i)") }
            let key = IdempotencyKey(key: "pty_a/key-1", requestHash: SHA256.hash("request"))
            let other = try openStore(database)
            defer { other.close() }
            let first = try await other.append(
                [NewEvent(stream: "s/other", type: "test.appended", payload: ["n": 4])], actor: "pty_a",
                commandId: "c4", at: Timestamp(milliseconds: 1), idempotency: key, response: [4])
            #expect(first.events.map(\.seq) == [4])
            let replayed = try await store.append(
                [NewEvent(stream: "s/other", type: "test.appended", payload: ["n": 4])], actor: "pty_a",
                commandId: "c4", at: Timestamp(milliseconds: 1), idempotency: key, response: [4])
            #expect(replayed.replayed && replayed.response == [4])
            try database.execute("DELETE FROM events WHERE seq > 3", privileged: true)
            let refused = await #expect(throws: KuraError.self) {
                try await appendOne(store, stream: "s/new", commandId: "after-loss")
            }
            #expect(refused?.code == .chainBroken, "\(String(describing: refused))")
        }
    }

    /// Review of the guard above: a writer that answered on the empty log, then forgot its caches after another
    /// writer appended, subtracted one from sequence number 0 and trapped.
    @Test(
        "a writer that answered on the empty log goes on after another writer appends and it forgets its caches",
        arguments: StoreBackends.all)
    func answeredOnTheEmptyLog(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, store in
            #expect(try await store.transact { (_: inout WriteTransaction) throws(KuraError) -> Int in 1 } == 1)
            let other = try openStore(database)
            defer { other.close() }
            try await appendOne(other, stream: "s/other", commandId: "c1")
            await #expect(throws: KuraError.self) {
                try await store.maintain { _, _ throws(KuraError) -> Int in throw KuraError(.internalError, "fails") }
            }
            let next = try await appendOne(store, stream: "s/mine", commandId: "c2")
            #expect(next.seq == 2)
        }
    }

    // MARK: Holds kept on their rows

    /// A node of an older build writes a balance row for an escrow's or reservation's hold; this build keeps the
    /// hold on the escrow's or reservation's row, so the database refuses such a row: the older node's batch fails
    /// instead of deciding on a hold it cannot see.
    @Test(
        "a balance row for an escrow's or reservation's hold is refused; other holds are not",
        arguments: StoreBackends.all)
    func keptHoldsRefused(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, _ in
            for account in ["escrow/esc_1/held", "reservation/res_1/held"] {
                #expect(throws: KuraError.self, "\(account)") {
                    try database.execute(
                        "INSERT INTO balances(account, asset, balance) VALUES ('\(account)', 'USDC', 5)",
                        privileged: false)
                }
            }
            try database.execute(
                "INSERT INTO balances(account, asset, balance) VALUES ('channel/ch_1/held', 'USDC', 5)",
                privileged: false)
        }
    }

    // MARK: Tampering

    /// Review finding: a node whose database lost events it had acknowledged (an asynchronous standby promoted, a
    /// copy restored under it) forgot its caches and wrote on, giving the lost events' sequence numbers to others.
    @Test(
        "a writer whose acknowledged events left the log refuses to write until restarted",
        arguments: StoreBackends.all)
    func acknowledgedEventsLost(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, store in
            for i in 1...5 { try await appendOne(store, stream: "s/\(i % 2)", commandId: "c\(i)") }
            try database.execute("DELETE FROM events WHERE seq > 3", privileged: true)
            let kept = try await allEvents(store)
            #expect(kept.map(\.seq) == [1, 2, 3])
            let refused = await #expect(throws: KuraError.self) {
                try await appendOne(store, stream: "s/new", commandId: "after-loss")
            }
            #expect(refused?.code == .chainBroken, "\(String(describing: refused))")
            #expect(refused?.detail.contains("event 5") == true, "\(String(describing: refused))")
            #expect(try await allEvents(store) == kept)

            // Another node (or this one restarted) writes seq 4 and 5 anew: different events under the same numbers.
            let restarted = try openStore(database)
            defer { restarted.close() }
            for i in 4...5 { try await appendOne(restarted, stream: "s/other", commandId: "n\(i)") }
            let rewritten = try await allEvents(restarted)
            #expect(rewritten.map(\.seq) == [1, 2, 3, 4, 5])
            await #expect(throws: KuraError.self) { try await appendOne(store, stream: "s/new", commandId: "again") }
            #expect(try await allEvents(restarted) == rewritten)
            #expect(try await restarted.verify().isValid)
        }
    }

    @Test(
        "the application cannot change or remove an event; tampering is found at the first bad seq",
        arguments: StoreBackends.all)
    func tamperRefusal(_ factory: StoreBackendFactory) async throws {
        try await Self.withStore(factory) { database, store in
            for i in 1...12 {
                try await appendOne(
                    store, stream: "escrow/esc_\(i % 3)", payload: ["n": .number(Double(i))], commandId: "c\(i)")
            }
            let before = try await allEvents(store)
            for sql in ["UPDATE events SET actor = 'pty_mallory' WHERE seq = 3", "DELETE FROM events WHERE seq = 12"] {
                #expect(throws: KuraError.self, "\(sql)") { try database.execute(sql, privileged: false) }
            }
            #expect(try await allEvents(store) == before)
            #expect(try await store.verify().isValid)

            // With the protection lifted (an attacker with the database owner's rights), verify names the seq.
            try database.execute("UPDATE events SET actor = 'pty_mallory' WHERE seq = 7", privileged: true)
            let report = try await store.verify()
            #expect(report.failure?.seq == 7)
            #expect(report.count == 6)
            // Readers refuse the tampered event too, rather than serve it.
            let error = await #expect(throws: KuraError.self) { try await store.events(after: 6, limit: 1) }
            #expect(error?.code == .chainBroken)
        }
    }
}
