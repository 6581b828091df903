import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import KuraX402
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several real `kura serve` processes (nodes) on one PostgreSQL database (issue 16): they take turns on the
/// advisory lock and continue one chain. Each test starts the built `kura` on a fresh database made by
/// `kura init --db postgres://…`, with the writer's assertion mode on in every node (`KURA_ASSERT_STATE=1`: a node
/// whose memory disagrees with the rows stops, and the test sees it), drives load through the nodes at once, and
/// afterwards checks every answer against what both nodes read and against the log itself, `kura log verify`, the
/// ledger and a replay.
@Suite("kura serve nodes on one PostgreSQL database", .serialized)
struct PostgresNodesTests {
    typealias World = CrashCampaignTests.World
    typealias Acknowledged = CrashCampaignTests.Acknowledged

    // MARK: The tests

    @Test("100 concurrent settles of one reservation through two nodes: one settlement, 99 idempotent answers")
    func concurrentSettles() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.remove() }
        let nodes = [try await deployment.node("a"), try await deployment.node("b")]
        let world = try await CrashCampaignTests.setUp(url: nodes[0].url, operatorKey: deployment.operatorKey)
        let agent = KuraClient(baseURL: nodes[0].url, apiKey: world.agent.key, maxAttempts: 1)
        let verified = try await agent.verify(
            ReservationVerifyRequest(
                amount: try Amount(units: 100), lane: .enterprise, mandate: world.mandate, agent: world.agent.id,
                counterparty: world.provider.id))
        let body: JSONValue = [
            "reservationId": .string(verified.reservationId.rawValue), "envelope": .string(verified.envelope),
        ]
        // Half through each node; half of each half share one Idempotency-Key (answered from the idempotency
        // record), the rest have keys of their own (answered from the reservation's state).
        let answers = await withTaskGroup(of: Result<JSONValue, any Error>.self) { group in
            for i in 0..<100 {
                group.addTask {
                    let provider = KuraClient(
                        baseURL: nodes[i % 2].url, apiKey: world.provider.key, maxAttempts: 1, timeout: .seconds(60))
                    let key = i % 4 < 2 ? "settle-shared" : "settle-\(i)"
                    do {
                        return .success(
                            try await provider.send(.POST, "/x402/settle", body: body, idempotencyKey: key).json())
                    } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let settled = answers.compactMap { try? $0.get() }
        #expect(
            settled.count == 100, "refused: \(answers.compactMap { if case .failure(let e) = $0 { e } else { nil } })")
        #expect(settled.filter { $0["idempotent"] == JSONValue.bool(false) }.count == 1)
        #expect(settled.filter { $0["idempotent"] == JSONValue.bool(true) }.count == 99)
        #expect(Set(settled.compactMap { $0["txSignature"]?.stringValue }).count == 1)
        #expect(Set(settled.compactMap { $0["billableEventId"]?.stringValue }).count == 1)
        let signature = try #require(settled.first?["txSignature"]?.stringValue)

        // Both nodes read one settlement; the provider was paid once (100 units at 10 bps: no fee).
        for node in nodes {
            let reservation = try await KuraClient(baseURL: node.url, apiKey: world.agent.key).reservation(
                verified.reservationId)
            #expect(reservation.state == .settled && reservation.txSignature == signature)
            let account = try await KuraClient(baseURL: node.url, apiKey: world.provider.key).account(world.provider.id)
            #expect(account.balances.map(\.available) == [100], "\(account)")
        }
        try await deployment.stop(nodes)
        try await deployment.checkLog()
        try await deployment.withService { service in
            let stream = try await service.store.events(inStream: "reservation/\(verified.reservationId)")
            #expect(stream.map(\.type) == ["reservation.reserved", "reservation.settled"])
            var settlements = 0
            var after: UInt64 = 0
            while true {
                let page = try await service.store.events(after: after, limit: 1000)
                guard let last = page.last else { break }
                settlements += page.filter { $0.type == "reservation.settled" }.count
                after = last.seq
            }
            #expect(settlements == 1, "settled events in the whole log")
        }
    }

    @Test("two nodes under mixed load, every request crossing between them: one chain, every answer in the log")
    func mixedLoad() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.remove() }
        let nodes = [try await deployment.node("a"), try await deployment.node("b")]
        let urls = nodes.map(\.url)
        let world = try await CrashCampaignTests.setUp(url: urls[0], operatorKey: deployment.operatorKey)
        let acks = Acknowledged()
        let tally = Tally()
        // Each worker's next request goes to the other node: an escrow opened on one is delivered through the
        // other and confirmed through the first, a reservation verified on one is settled on the other.
        await Load.run(workers: 10, iterations: 12, world: world, acks: acks, tally: tally) { worker, step in
            let node = (worker + step) % 2
            return (node, urls[node])
        }
        #expect(tally.failures.withLock { $0 } == [[], []], "no request may fail on healthy nodes")
        #expect(tally.answered.withLock { $0 }.allSatisfy { $0 > 50 }, "\(tally.answered.withLock { $0 })")
        try await Self.checkAcknowledged(acks, world: world, on: urls)
        #expect(try deployment.database.connectedRoles() == ["kura_node"], "the nodes log in as kura_node alone")
        try await deployment.stop(nodes)
        try await deployment.checkLog()
        try await deployment.checkAcknowledgedInLog(acks)
        try await deployment.checkLedgerAndReplay()
    }

    @Test("the sweepers of two nodes and two `kura sweep` runs at once: every due escrow moves on exactly once")
    func sweepersRace() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.remove() }
        let nodes = [try await deployment.node("a"), try await deployment.node("b")]
        let world = try await CrashCampaignTests.setUp(url: nodes[0].url, operatorKey: deployment.operatorKey)
        // 120 escrows fall due together at `due`, opened through both nodes: the even ones stay locked (they
        // expire), the odd ones are delivered with a confirm window that ends then (they are released).
        let due = CrashCampaignTests.nowMs + 12_000
        let opened = try await withThrowingTaskGroup(of: [(EscrowID, Bool)].self) { group in
            for worker in 0..<10 {
                group.addTask {
                    let url = nodes[worker % 2].url
                    let agent = KuraClient(baseURL: url, apiKey: world.agent.key, maxAttempts: 1, timeout: .seconds(20))
                    let provider = KuraClient(
                        baseURL: url, apiKey: world.provider.key, maxAttempts: 1, timeout: .seconds(20))
                    var mine: [(EscrowID, Bool)] = []
                    for n in 0..<12 {
                        let delivered = n % 2 == 1
                        let escrow = try await agent.openEscrow(
                            OpenEscrowRequest(
                                payee: world.provider.id, amount: try Amount(units: 40), asset: CrashCampaignTests.usdc,
                                deliverBy: Timestamp(milliseconds: due),
                                confirmWindowMs: delivered ? max(1, due - CrashCampaignTests.nowMs) : nil))
                        if delivered {
                            _ = try await provider.perform(
                                KuraAPI.deliverEscrow, at: escrow.id,
                                DeliverRequest(evidence: String(repeating: "ab", count: 32)))
                        }
                        mine.append((escrow.id, delivered))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [(EscrowID, Bool)]()) { $0 += $1 }
        }
        try #require(opened.count == 120)
        try #require(CrashCampaignTests.nowMs < due, "the escrows were opened after they fell due: a slow machine")
        try await Task.sleep(for: .milliseconds(due - CrashCampaignTests.nowMs))
        // The escrows still open (read through node b), once the first `least` have moved on.
        let reader = KuraClient(baseURL: nodes[1].url, apiKey: world.agent.key, maxAttempts: 1, timeout: .seconds(20))
        var open = opened.map(\.0)
        func waitUntilMoved(_ least: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while opened.count - open.count < least && ContinuousClock.now < deadline {
                var still: [EscrowID] = []
                for id in open where try await !reader.escrow(id).state.isTerminal { still.append(id) }
                open = still
                if opened.count - open.count < least { try await Task.sleep(for: .milliseconds(100)) }
            }
        }
        // Once the nodes' sweepers (every second on each) have begun, two sweeps from the command line join them.
        try await waitUntilMoved(1)
        let sweeps = try await withThrowingTaskGroup(of: CLIResult.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await runKura(
                        ["sweep", "--db", deployment.url, "--service-key-file", deployment.keyFile, "--json"],
                        in: deployment.dir)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sweeps.allSatisfy { $0.status == 0 }, "\(sweeps)")
        try await waitUntilMoved(opened.count)
        let applied = sweeps.map { sweep in
            let report = try? JSONValue.parse(sweep.stdout)
            return (report?["released"]?.arrayValue?.count ?? 0) + (report?["expired"]?.arrayValue?.count ?? 0)
        }
        print(
            "postgres nodes, sweepers racing: the two `kura sweep` runs moved \(applied) of 120 escrows, the nodes the rest"
        )
        #expect(open.isEmpty, "\(open.count) escrows still open a minute after they fell due")
        try await deployment.stop(nodes)
        try await deployment.checkLog()
        try await deployment.withService { service in
            for (id, delivered) in opened {
                let types = try await service.store.events(inStream: "escrow/\(id)").map(\.type)
                let expected =
                    delivered
                    ? ["escrow.locked", "escrow.delivered", "escrow.released"] : ["escrow.locked", "escrow.expired"]
                #expect(types == expected, "escrow \(id)")
            }
        }
        try await deployment.checkLedgerAndReplay()
    }

    @Test("SIGKILL one node three times under load: nothing it acknowledged is lost, the other node serves throughout")
    func killOneNode() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.remove() }
        let survivor = try await deployment.node("b")
        let victim = Shared(try await deployment.node("a1"))
        let down = Shared(false)
        let world = try await CrashCampaignTests.setUp(url: survivor.url, operatorKey: deployment.operatorKey)
        let acks = Acknowledged()
        let tally = Tally()
        let stop = Shared(false)
        var report: [String] = []
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Even workers on the node that is killed (all five kinds of load), odd ones on the survivor.
                await Load.run(workers: 10, iterations: nil, stop: stop, world: world, acks: acks, tally: tally) {
                    worker, _ in worker % 2 == 0 ? (0, down.get() ? nil : victim.get().url) : (1, survivor.url)
                }
            }
            for round in 1...3 {
                let served = try await tally.wait(node: 0, answers: 30)
                #expect(served, "round \(round): the restarted node served nothing")
                let killed = victim.get()
                down.set(true)
                killed.child.send(SIGKILL)
                _ = await killed.child.wait()
                // The survivor keeps answering while the other node is dead …
                let survived = try await tally.wait(node: 1, answers: 20)
                #expect(survived, "round \(round): the survivor stopped answering")
                report.append("round \(round): \(tally.answered.withLock { $0 }) at \(ContinuousClock.now - started)")
                let restarted = try await deployment.node("a\(round + 1)")
                victim.set(restarted)
                down.set(false)
            }
            // … and after, beside the restarted one.
            let restartedServes = try await tally.wait(node: 0, answers: 30)
            let survivorServes = try await tally.wait(node: 1, answers: 30)
            #expect(restartedServes && survivorServes)
            stop.set(true)
            try await group.waitForAll()
        }
        #expect(tally.failures.withLock { $0[1] } == [], "the survivor refused or dropped requests")
        print(
            "postgres nodes, SIGKILL ×3: " + report.joined(separator: "; ")
                + "; failed on the killed node: \(tally.failures.withLock { $0[0].count })")
        let urls = [victim.get().url, survivor.url]
        try await Self.checkAcknowledged(acks, world: world, on: urls)
        try await deployment.stop([victim.get(), survivor])
        try await deployment.checkLog()
        try await deployment.checkAcknowledgedInLog(acks)
        try await deployment.checkLedgerAndReplay()
    }

    @Test("PostgreSQL stops under two loaded nodes: both answer 503 problem documents, then recover by themselves")
    func outage() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.stop() }
        let deployment = try await Deployment.make(database: try cluster.backendDatabase())
        defer { deployment.remove() }
        let nodes = [try await deployment.node("a"), try await deployment.node("b")]
        let urls = nodes.map(\.url)
        let world = try await CrashCampaignTests.setUp(url: urls[0], operatorKey: deployment.operatorKey)
        let acks = Acknowledged()
        let tally = Tally()
        let stop = Shared(false)
        let deliverBy = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let order: JSONValue = [
            "payee": .string(world.provider.id.rawValue), "amount": 700, "asset": "USDC",
            "deliverBy": .number(Double(deliverBy)),
        ]
        let bearer = [("Authorization", "Bearer \(world.agent.key)")]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await Load.run(workers: 10, iterations: nil, stop: stop, world: world, acks: acks, tally: tally) {
                    worker, step in
                    let node = (worker + step) % 2
                    return (node, urls[node])
                }
            }
            let servingA = try await tally.wait(node: 0, answers: 20)
            let servingB = try await tally.wait(node: 1, answers: 20)
            #expect(servingA && servingB)
            try cluster.halt()
            for (index, url) in urls.enumerated() {
                for _ in 0..<2 {
                    let write = try await live(
                        "POST", url + "/v1/escrows", headers: bearer + [("Idempotency-Key", "outage-\(index)")],
                        json: order)
                    #expect(write.status == 503 && write.json["code"] == "storage_unavailable", "\(write)")
                    #expect(write.header("Content-Type") == "application/problem+json")
                    #expect(write.header("Retry-After") == "1")
                    let read = try await live("GET", url + "/v1/accounts/\(world.agent.id)", headers: bearer)
                    #expect(read.status == 503 && read.json["code"] == "storage_unavailable", "\(read)")
                }
            }
            try cluster.resume()
            // Each node's refused order again, on that node until written, then on the other: one escrow each.
            for (index, url) in urls.enumerated() {
                let headers = bearer + [("Idempotency-Key", "outage-\(index)")]
                var retry = try await live("POST", url + "/v1/escrows", headers: headers, json: order)
                let deadline = ContinuousClock.now + .seconds(60)
                while retry.status == 503 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    retry = try await live("POST", url + "/v1/escrows", headers: headers, json: order)
                }
                #expect(retry.status == 201, "\(retry)")
                let other = try await live("POST", urls[1 - index] + "/v1/escrows", headers: headers, json: order)
                #expect(other.status == 201 && other.header("Idempotent-Replayed") == "true", "\(other)")
                #expect(other.json["id"] == retry.json["id"] && retry.json["id"] != nil)
                if let id = retry.json["id"]?.stringValue {
                    acks.escrows.withLock { $0[EscrowID(unchecked: id)] = .locked }
                }
            }
            // Both serve the load again.
            let before = tally.answered.withLock { $0 }
            let recoveredA = try await tally.wait(node: 0, answers: 20, after: before[0])
            let recoveredB = try await tally.wait(node: 1, answers: 20, after: before[1])
            #expect(recoveredA && recoveredB, "both nodes serve the load again")
            stop.set(true)
            try await group.waitForAll()
        }
        try await Self.checkAcknowledged(acks, world: world, on: urls)
        try await deployment.stop(nodes)
        try await deployment.checkLog()
        try await deployment.checkAcknowledgedInLog(acks)
        try await deployment.checkLedgerAndReplay()
    }

    // MARK: Checks

    /// Every acknowledged answer, read back through every node: escrows in the acknowledged state or a later one,
    /// settlements with the acknowledged signature, channels settled at least as far, x402 settlements repeated
    /// and answered with their first transaction.
    static func checkAcknowledged(_ acks: Acknowledged, world: World, on urls: [String]) async throws {
        for url in urls {
            let agent = KuraClient(baseURL: url, apiKey: world.agent.key, maxAttempts: 1, timeout: .seconds(60))
            for (id, acknowledged) in acks.escrows.withLock({ $0 }) {
                let stored = try? await agent.escrow(id)
                #expect(
                    stored.map { CrashCampaignTests.successors[acknowledged]?.contains($0.state) ?? false } == true,
                    "\(url): escrow \(id) acknowledged \(acknowledged), stored \(String(describing: stored?.state))")
            }
            for (id, signature) in acks.settlements.withLock({ $0 }) {
                let stored = try? await agent.reservation(id)
                #expect(
                    stored?.state == .settled && stored?.txSignature == signature, "\(url): reservation \(id)")
            }
            for (id, cumulative) in acks.channels.withLock({ $0 }) {
                let stored = try? await agent.channel(id)
                #expect((stored?.settled.units ?? 0) >= cumulative, "\(url): channel \(id)")
            }
            let anonymous = KuraClient(baseURL: url, apiKey: nil, maxAttempts: 1, timeout: .seconds(60))
            for (body, transaction) in acks.x402.withLock({ Array($0.suffix(10)) }) {
                let again = try await anonymous.x402Settle(body, repeats: .answer)
                #expect(again.success && again.transaction == transaction, "\(url): x402 settlement repeated")
            }
        }
        #expect(acks.count > 0)
    }
}

extension PostgresNodesTests {
    /// A database set up by `kura init --db postgres://…`, the service key file its nodes share, and the nodes'
    /// working directory.
    struct Deployment: Sendable {
        let database: PostgresTestDatabase
        let dir: TemporaryDirectory
        /// The database owner's URL: `kura init`, `kura sweep`, `kura log verify` and the checks afterwards.
        let url: String
        /// The nodes' URL: `kura_node`, a login role in `kura_app`, as Docs/postgresql.md runs them, so that a
        /// statement a node needs beyond the application role's privileges fails these tests.
        let nodeURL: String
        let keyFile: String
        let operatorKey: String

        /// `kura init` on a fresh database of the test server (or on `database`).
        static func make(database given: PostgresTestDatabase? = nil, label: String = #function) async throws
            -> Deployment
        {
            let database = try given ?? PostgresTestDatabase(label)
            let dir = try TemporaryDirectory(label)
            let url = database.database.url.description
            let keyFile = dir.path("kura.key")
            let initialised = try await runKura(
                ["init", "--db", url, "--service-key-file", keyFile, "--json"], in: dir)
            try #require(initialised.status == 0, "\(initialised)")
            let operatorKey = try #require(try JSONValue.parse(initialised.stdout)["operatorApiKey"]?.stringValue)
            return Deployment(
                database: database, dir: dir, url: url, nodeURL: try database.applicationURL(), keyFile: keyFile,
                operatorKey: operatorKey)
        }

        /// Starts a node with the writer's assertion mode on: after every batch it compares its memory with the
        /// rows (holding the advisory lock) and stops the process on a difference, which ``stop(_:)`` reports.
        func node(_ name: String) async throws -> ServerProcess {
            try await ServerProcess.launch(
                URL(fileURLWithPath: "/usr/bin/env"),
                [
                    "KURA_ASSERT_STATE=1", try KuraBinary.require().path, "serve", "--db", nodeURL,
                    "--service-key-file",
                    keyFile, "--port", "0", "--log-level", "error", "--rate-limit", "0", "--anonymous-rate-limit", "0",
                ], name: name, in: dir)
        }

        /// Stops the nodes with SIGTERM: each exits 0, and none logged a crash or an assertion difference.
        func stop(_ nodes: [ServerProcess]) async throws {
            for node in nodes {
                let status = try await node.terminate()
                let errors =
                    (try? String(contentsOfFile: node.outputPath.replacingSuffix(".out", ".err"), encoding: .utf8))
                    ?? ""
                #expect(status == 0, "\(node.url) exited \(status): \(errors.suffix(2000))")
                #expect(
                    !errors.contains("KURA_ASSERT_STATE") && !errors.contains("Fatal error"), "\(errors.suffix(2000))")
            }
        }

        /// `kura log verify` on the database: one chain, gapless, every hash and link.
        func checkLog() async throws {
            let verified = try await runKura(["log", "verify", "--db", url, "--json"], in: dir)
            #expect(verified.status == 0, "kura log verify: \(verified)")
            #expect(try JSONValue.parse(verified.stdout)["valid"] == .bool(true))
        }

        /// Every acknowledged answer, found in the log itself (run once the nodes have stopped): each escrow's stream
        /// folds to the acknowledged state or a later one, each settled reservation's stream to `settled` with the
        /// acknowledged signature, each channel's to at least the acknowledged cumulative amount, and each x402
        /// settlement's nonce stream records the transaction it was answered with.
        func checkAcknowledgedInLog(_ acks: Acknowledged) async throws {
            try await withService { service in
                let store = service.store
                for (id, acknowledged) in acks.escrows.withLock({ $0 }) {
                    let events = try await store.events(inStream: "escrow/\(id)")
                    let state = Escrow.fold(try events.map { try EscrowEvent(type: $0.type, payload: $0.payload) })?
                        .state
                    #expect(
                        state.map { CrashCampaignTests.successors[acknowledged]?.contains($0) ?? false } == true,
                        "escrow \(id) acknowledged \(acknowledged), in the log \(String(describing: state))")
                }
                for (id, signature) in acks.settlements.withLock({ $0 }) {
                    let events = try await store.events(inStream: "reservation/\(id)")
                    let reservation = Reservation.fold(
                        try events.map { try ReservationEvent(type: $0.type, payload: $0.payload) })
                    #expect(
                        reservation?.state == .settled && reservation?.txSignature == signature, "reservation \(id)")
                }
                for (id, cumulative) in acks.channels.withLock({ $0 }) {
                    let events = try await store.events(inStream: "channel/\(id)")
                    let channel = Channel.fold(try events.map { try ChannelEvent(type: $0.type, payload: $0.payload) })
                    #expect((channel?.settled.units ?? 0) >= cumulative, "channel \(id)")
                }
                for (body, transaction) in acks.x402.withLock({ $0 }) {
                    let authorization = try KuraPaymentProof.parse(body.paymentPayload.payload).authorization
                    let events = try await store.events(
                        inStream: X402Settlement.stream(
                            payer: PartyID(unchecked: authorization.payer), nonce: authorization.nonce))
                    let settled = try events.map { try X402Event(type: $0.type, payload: $0.payload).settlement }
                    #expect(
                        settled.map(\.response.transaction) == [transaction],
                        "x402 settlement of nonce \(authorization.nonce)")
                }
            }
            #expect(acks.count > 0)
        }

        /// The ledger sums to zero per asset with no negative balance, and a replay of the log rebuilds read models
        /// equal to the ones the nodes wrote (run once the nodes have stopped: a replay rewrites the read models).
        func checkLedgerAndReplay() async throws {
            try await withService { service in
                #expect(try await service.ledgerViolations() == [])
                let replay = try await service.replay()
                #expect(replay.before == replay.after, "projections differ from a replay of the log")
            }
        }

        /// A service in this process on the database.
        func withService(_ body: (KuraService) async throws -> Void) async throws {
            let store = try KuraService.openStore(backend: try database.open(durable: true))
            defer { store.close() }
            let service = KuraService(
                store: store, signer: TestKeys.serviceSigner, clock: .fixed(Timestamp(milliseconds: 0)),
                logger: Logger.quiet("nodes"))
            try await body(service)
        }

        func remove() {
            database.remove()
            dir.remove()
        }
    }

    /// A value shared between tasks.
    final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func get() -> Value { value.withLock { $0 } }
        func set(_ new: Value) { value.withLock { $0 = new } }
    }

    /// What each node answered: 2xx answers and failures, by node.
    final class Tally: Sendable {
        let answered = Mutex<[Int]>([0, 0])
        let failures = Mutex<[[String]]>([[], []])

        /// Waits until `node` has answered `answers` more than `after` (default: now); false after 120 s.
        func wait(node: Int, answers: Int, after: Int? = nil) async throws -> Bool {
            let target = (after ?? answered.withLock { $0[node] }) + answers
            let deadline = ContinuousClock.now + .seconds(120)
            while answered.withLock({ $0[node] }) < target {
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(10))
            }
            return true
        }
    }

    /// Mixed load through the nodes: escrows opened, delivered and confirmed (one worker in five disputes
    /// instead), the facilitator's verify and settle, a channel settled with ever larger vouchers, and x402
    /// `exact` settlements. Every acknowledged answer is recorded in `acks`.
    enum Load {
        /// Where a worker's `step`-th request goes: the node's index and its URL (nil while the node is down).
        typealias Route = @Sendable (_ worker: Int, _ step: Int) -> (node: Int, url: String?)

        /// Runs `workers` workers (kinds by `worker % 5`), each for `iterations` rounds, or until `stop` is set.
        /// A failed request ends its round; the worker waits 50 ms and starts the next.
        static func run(
            workers: Int, iterations: Int?, stop: Shared<Bool>? = nil, world: World, acks: Acknowledged, tally: Tally,
            route: @escaping Route
        ) async {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        let caller = Caller(worker: worker, world: world, tally: tally, route: route)
                        var round = 0
                        while round < (iterations ?? .max) && !(stop?.get() ?? false) {
                            round += 1
                            if await !caller.round(acks: acks) { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
            }
        }
    }

    /// One worker's requests, each sent to the node its route names for the worker's next step.
    final class Caller: @unchecked Sendable {  // used by one task at a time
        let worker: Int
        let world: World
        let tally: Tally
        let route: Load.Route
        var step = 0
        var channel: (id: ChannelID, sequence: UInt64)?
        var escrows = 0

        init(worker: Int, world: World, tally: Tally, route: @escaping Load.Route) {
            self.worker = worker
            self.world = world
            self.tally = tally
            self.route = route
        }

        enum Who { case agent, provider, anonymous }

        /// Sends one request as `who` through the next node; nil (and a failure counted) unless it answered 2xx.
        func send<T>(_ who: Who, _ what: String, _ body: (KuraClient) async throws -> T) async -> T? {
            let (node, target) = route(worker, step)
            step += 1
            // Nothing is sent to a node that is down: AsyncHTTPClient keeps retrying a refused connection until
            // the request's deadline, which would hold this worker for the whole timeout.
            guard let url = target else {
                try? await Task.sleep(for: .milliseconds(20))
                return nil
            }
            let key: String? =
                switch who {
                case .agent: world.agent.key
                case .provider: world.provider.key
                case .anonymous: nil
                }
            // A request that raced a SIGKILL waits out its deadline: short enough not to hold the test up, long
            // enough for a loaded machine.
            let client = KuraClient(baseURL: url, apiKey: key, maxAttempts: 1, timeout: .seconds(20))
            do {
                let value = try await body(client)
                tally.answered.withLock { $0[node] += 1 }
                return value
            } catch {
                tally.failures.withLock { $0[node].append("\(what): \(error)") }
                return nil
            }
        }

        /// One round of this worker's kind; false when a request failed.
        func round(acks: Acknowledged) async -> Bool {
            let usdc = CrashCampaignTests.usdc
            let now = CrashCampaignTests.nowMs
            switch worker % 5 {
            case 0, 1:  // escrow: lock, deliver, confirm; worker 1 disputes instead of confirming
                escrows += 1
                let n = escrows
                guard
                    let escrow = await send(
                        .agent, "open",
                        { client in
                            try await client.openEscrow(
                                OpenEscrowRequest(
                                    payee: world.provider.id, amount: try Amount(units: 50), asset: usdc,
                                    deliverBy: Timestamp(milliseconds: now + 3_600_000)))
                        })
                else { return false }
                acks.escrows.withLock { $0[escrow.id] = escrow.state }
                let evidence = DeliverRequest(evidence: Hex.encode(SHA256.hash(Array("w\(worker)-\(n)".utf8))))
                guard
                    let delivered = await send(
                        .provider, "deliver", { try await $0.perform(KuraAPI.deliverEscrow, at: escrow.id, evidence) })
                else { return false }
                acks.escrows.withLock { $0[escrow.id] = delivered.state }
                let ended: Escrow? =
                    worker % 5 == 1
                    ? await send(.agent, "dispute") { client in
                        try await client.perform(
                            KuraAPI.disputeEscrow, at: escrow.id,
                            DisputeRequest(reason: "late", evidence: [Hex.encode(SHA256.hash(Array("d\(n)".utf8)))]))
                    }
                    : await send(.agent, "confirm") {
                        try await $0.perform(KuraAPI.confirmEscrow, at: escrow.id, EmptyRequest())
                    }
                guard let ended else { return false }
                acks.escrows.withLock { $0[escrow.id] = ended.state }
            case 2:  // the facilitator's enterprise lane: verify on one node, settle on the next
                let request = ReservationVerifyRequest(
                    amount: try! Amount(units: 10), lane: .enterprise, mandate: world.mandate, agent: world.agent.id,
                    counterparty: world.provider.id)
                guard let verified = await send(.agent, "verify", { try await $0.verify(request) }),
                    let answer = await send(
                        .provider, "settle",
                        {
                            try await $0.settle(verified.reservationId, envelope: verified.envelope)
                        })
                else { return false }
                acks.settlements.withLock { $0[verified.reservationId] = answer.txSignature }
            case 3:  // a channel, settled with ever larger vouchers
                if channel == nil {
                    guard
                        let opened = await send(
                            .agent, "open channel",
                            { client in
                                try await client.openChannel(
                                    OpenChannelRequest(
                                        provider: world.provider.id, asset: usdc, amount: try Amount(units: 1_000_000),
                                        expiresAt: Timestamp(milliseconds: now + 24 * 3_600_000)))
                            })
                    else { return false }
                    channel = (opened.id, 0)
                }
                guard let (id, lastSequence) = channel else { return false }
                // A voucher whose answer was lost may have been settled: the next one is larger either way.
                let sequence = lastSequence + 1
                channel = (id, sequence)
                let voucher = try! SignedVoucher(
                    ChannelVoucher(channel: id, cumulativeAmount: try! Amount(units: 3 * sequence), sequence: sequence),
                    key: TestKeys.secretKey("agent"))
                guard
                    await send(
                        .provider, "channel settle",
                        { client in
                            try await client.perform(KuraAPI.settleChannel, at: id, voucher)
                        }) != nil
                else { return false }
                acks.channels.withLock { $0[id] = max($0[id] ?? 0, 3 * sequence) }
            default:  // x402 `exact` payments through the standard facilitator route
                guard
                    let network = await send(.anonymous, "supported", { try await $0.x402Supported().kinds[0].network })
                else { return false }
                let requirements = PaymentRequirements(
                    scheme: "exact", network: network, amount: X402Amount(units: 5)!, asset: "USDC",
                    payTo: world.provider.id.rawValue, maxTimeoutSeconds: 900)
                let seconds = UInt64(now / 1000)
                guard
                    let payload = try? KuraScheme.pay(
                        requirements, resource: ResourceInfo(url: "https://provider.example/\(worker)/\(step)"),
                        payer: world.agent.id.rawValue, key: TestKeys.secretKey("agent"),
                        nonce: (0..<32).map { _ in UInt8.random(in: 0...255) },
                        validAfter: EpochSeconds(seconds - 5)!, validBefore: EpochSeconds(seconds + 600)!)
                else { return false }
                let body = FacilitatorRequest(paymentPayload: payload, paymentRequirements: requirements)
                // A refusal is answered 200 with `success: false` (the x402 wire format): a failure here.
                guard
                    let answer = await send(
                        .anonymous, "x402 settle",
                        { client in
                            let answer = try await client.x402Settle(body, repeats: .answer)
                            guard answer.success else {
                                throw KuraError(
                                    .internalError,
                                    "refused: \(answer.errorReason.map { "\($0)" } ?? "?"): \(answer.errorMessage ?? "")"
                                )
                            }
                            return answer
                        })
                else { return false }
                acks.x402.withLock { $0.append((body, answer.transaction)) }
            }
            return true
        }
    }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, _ replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
