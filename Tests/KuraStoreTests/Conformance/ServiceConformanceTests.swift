import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

/// The service-level half of the conformance suite, on each of ``StoreBackends/all``: the golden scenarios give
/// byte-identical heads, receipts, checkpoints and balances; every receipt's bundle and every consistency proof
/// verifies offline; replay rebuilds the same read models; and two services on one database (a CLI beside a
/// server, or two nodes) keep one chain while each writer's in-memory state catches up with what the other
/// wrote.
@Suite struct ServiceConformanceTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarioNames: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Fixtures/scenarios").path))
        ?? []).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) }.sorted()

    struct Case: Sendable, CustomTestStringConvertible {
        let backend: StoreBackendFactory
        let scenario: String
        var testDescription: String { "\(backend.name): \(scenario)" }
    }

    static var goldenCases: [Case] {
        StoreBackends.all.flatMap { backend in scenarioNames.map { Case(backend: backend, scenario: $0) } }
    }

    @Test(
        "a golden scenario gives exactly the expected file, its bundles verify, and replay agrees",
        arguments: goldenCases)
    func golden(_ item: Case) async throws {
        let scenario = try Scenario.load(Self.root.appendingPathComponent("Fixtures/scenarios/\(item.scenario).json"))
        let session = try await ScenarioRunner.start(scenario, on: item.backend)
        defer { session.close() }
        let expected = try ScenarioGolden.load(
            Self.root.appendingPathComponent("Fixtures/expected/\(item.scenario).json"))
        #expect(session.result.golden == expected)
        #expect(session.result.replay.before == session.result.replay.after)
        #expect(session.result.ledgerViolations == [])
        #expect(try await session.service.writerStateDifferences() == [])
        let verifier = session.service.signer.verifier
        let size = session.result.finalCheckpoint.size
        for index in 0..<size {
            let bundle = try await session.service.bundle(index, size: size)
            #expect(ReceiptBundle.verify(bundleJSON: bundle, key: verifier).isValid, "receipt \(index)")
        }
        // Consistency proofs between every pair of sizes, made from this backend's stored nodes, verify against
        // roots recomputed naively from the receipts' leaves.
        let leaves = session.result.leafHashes.compactMap(Hex.decode)
        try #require(leaves.count == session.result.leafHashes.count)
        for old in 1..<(leaves.count + 1) {
            for new in old...leaves.count {
                let proof = try await session.service.consistency(from: UInt64(old), to: UInt64(new)).hashes
                #expect(
                    MerkleVerifier.verifyConsistency(
                        oldSize: UInt64(old), newSize: UInt64(new), oldRoot: naiveRoot(leaves.prefix(old)),
                        newRoot: naiveRoot(leaves.prefix(new)), proof: proof.compactMap(Base64.decode)),
                    "sizes \(old) → \(new)")
            }
        }
        #expect(try await session.service.store.verify().isValid)
    }

    /// Two services on one database, as two processes: each writer's in-memory state must follow what the other
    /// wrote (balances, escrows, disputes' parties, mandates and reservations, reputation, the receipt tree).
    @Test(
        "two writers on one database take turns; each writer's memory catches up with the other's",
        arguments: StoreBackends.all)
    func twoWriters(_ factory: StoreBackendFactory) async throws {
        let clock = TestClock()
        let db = try await TestDatabase(clock: clock, label: "two-writers", backend: try await factory.makeDatabase())
        defer { db.close() }
        var writer = WriterConfiguration()
        writer.assertState = true
        let second = try KuraService.openStore(
            backend: try #require(db.backendDatabase).open(durable: false), writer: writer)
        defer { second.close() }
        let a = db.service
        let b = KuraService(
            store: second, signer: TestKeys.serviceSigner, clock: clock.clock, secrets: .seeded("second"),
            logger: Logger.quiet())
        let op = db.operatorPrincipal
        let usdc = try Asset("USDC")

        let alice = try await db.register(name: "alice", roles: [.agent]).party
        let bob = try await db.register(name: "bob", roles: [.provider]).party
        // B deposits; A decides on alice's balance right after.
        _ = try await b.deposit(
            FundsRequest(asset: usdc, amount: try Amount(units: 100_000)), to: alice.id, by: op, idempotencyKey: nil)
        let escrow = try await a.openEscrow(
            OpenEscrowRequest(
                payee: bob.id, amount: try Amount(units: 60_000), asset: usdc,
                deliverBy: clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: alice), idempotencyKey: nil
        ).value
        // B must know A's escrow and see alice's balance as A left it: 40,000 left, so 50,000 is refused.
        let refused = await #expect(throws: KuraError.self) {
            try await b.openEscrow(
                OpenEscrowRequest(
                    payee: bob.id, amount: try Amount(units: 50_000), asset: usdc,
                    deliverBy: clock.now.adding(milliseconds: 3_600_000)),
                by: Principal(party: alice), idempotencyKey: nil)
        }
        #expect(refused?.code == .insufficientFunds)
        _ = try await b.act(
            on: escrow.id, .deliver, body: ["evidence": .string(String(repeating: "ab", count: 32))],
            by: Principal(party: bob), idempotencyKey: nil)
        let released = try await a.act(on: escrow.id, .confirm, by: Principal(party: alice), idempotencyKey: nil)
        #expect(released.value.state == .released)
        // Another escrow, delivered on A and disputed on B; then a suspended party seen by the other writer.
        let second2 = try await b.openEscrow(
            OpenEscrowRequest(
                payee: bob.id, amount: try Amount(units: 10_000), asset: usdc,
                deliverBy: clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: alice), idempotencyKey: nil
        ).value
        _ = try await a.act(
            on: second2.id, .deliver, body: ["evidence": .string(String(repeating: "cd", count: 32))],
            by: Principal(party: bob), idempotencyKey: nil)
        _ = try await b.changeStatus(of: bob.id, .suspend, by: op, idempotencyKey: nil)
        let suspended = await #expect(throws: KuraError.self) {
            try await a.act(on: second2.id, .refund, by: Principal(party: bob), idempotencyKey: nil)
        }
        #expect(suspended?.code == .forbidden)
        // The facilitator: a mandate made on A, drawn on through B, settled through A.
        _ = try await a.changeStatus(of: bob.id, .reactivate, by: op, idempotencyKey: nil)
        let mandate = try await a.createMandate(
            CreateMandateRequest(
                agent: alice.id, asset: usdc, amount: try Amount(units: 20_000), perTxCap: try Amount(units: 5_000),
                dailyCap: try Amount(units: 8_000), allowedCounterparties: [bob.id],
                expiresAt: clock.now.adding(milliseconds: 86_400_000)),
            by: Principal(party: alice), idempotencyKey: nil
        ).value
        var reserved: [ReservationVerifyResponse] = []
        for (service, amount) in [(b, 5_000), (a, 3_000)] as [(KuraService, UInt64)] {
            reserved.append(
                try await service.verify(
                    ReservationVerifyRequest(
                        amount: try Amount(units: amount), lane: .enterprise, mandate: mandate.id, agent: alice.id,
                        counterparty: bob.id),
                    by: Principal(party: alice), idempotencyKey: nil
                ).value)
        }
        // The daily cap (8,000) is used up across both writers.
        let capped = await #expect(throws: KuraError.self) {
            try await b.verify(
                ReservationVerifyRequest(
                    amount: try Amount(units: 1), lane: .enterprise, mandate: mandate.id, agent: alice.id,
                    counterparty: bob.id),
                by: Principal(party: alice), idempotencyKey: nil)
        }
        #expect(capped?.code == .capExceeded)
        let settled = try await a.settle(
            ReservationSettleRequest(reservationId: reserved[0].reservationId, envelope: reserved[0].envelope),
            by: Principal(party: bob), idempotencyKey: nil)
        let again = try await b.settle(
            ReservationSettleRequest(reservationId: reserved[0].reservationId, envelope: reserved[0].envelope),
            by: Principal(party: bob), idempotencyKey: nil)
        #expect(again.value.idempotent && again.value.txSignature == settled.value.txSignature)

        // One chain; both writers' memories equal the rows; one projection; the ledger balances.
        #expect(try await a.store.verify().isValid)
        #expect(try await a.store.head() == b.store.head())
        #expect(try await a.writerStateDifferences() == [])
        #expect(try await b.writerStateDifferences() == [])
        #expect(try await a.ledgerViolations() == [])
        let digest = try await a.projectionDigest()
        #expect(try await b.projectionDigest() == digest)
        let replay = try await b.replay()
        #expect(replay.before == replay.after)
        // Receipts and reputation written by both writers fold to the same answer as a fresh fold.
        #expect(try await a.receiptCount() == b.receiptCount())
        #expect(try await a.reputation(of: bob.id) == b.reputation(of: bob.id))
        try await Self.expectBulkReputationReads(a.store, known: [alice.id, bob.id])
    }

    /// Adversarial review: `kura replay` beside a running server empties and rebuilds the read models without an
    /// event, so no catch-up saw it. A server that had cached a drifted row (the reason to replay) went on deciding
    /// on it and wrote it back: here a balance ten times what the log gives, spent after the replay had mended it.
    @Test("a replay by another writer makes this writer forget what it cached", arguments: StoreBackends.all)
    func replayElsewhere(_ factory: StoreBackendFactory) async throws {
        let db = try await TestDatabase(label: "replay-elsewhere", backend: try await factory.makeDatabase())
        defer { db.close() }
        let backend = try #require(db.backendDatabase)
        // The server, as it runs in production (the assertion mode would stop it at the first difference).
        let server = KuraService(
            store: try KuraService.openStore(backend: try backend.open(durable: false)),
            signer: TestKeys.serviceSigner, clock: db.clock.clock, secrets: .seeded("server"), logger: Logger.quiet())
        defer { server.store.close() }
        let payer = try await db.register(name: "payer", roles: [.agent]).party
        let payee = try await db.register(name: "payee", roles: [.provider]).party
        try await db.deposit(party: payer, amount: 1_000_000)
        func open(_ units: UInt64) async throws -> Reply<Escrow> {
            try await server.openEscrow(
                OpenEscrowRequest(
                    payee: payee.id, amount: try Amount(units: units), asset: try Asset("USDC"),
                    deliverBy: db.clock.now.adding(milliseconds: 3_600_000)),
                by: Principal(party: payer), idempotencyKey: nil)
        }
        // A damaged read model, which the server reads and caches with its next command.
        try backend.execute(
            "UPDATE balances SET balance = 10000000 WHERE account = 'party/\(payer.id)/available' AND asset = 'USDC'",
            privileged: false)
        _ = try await open(10)

        let replay = try await db.service.replay()
        #expect(replay.before != replay.after, "the replay mended the drift")
        let refused = await #expect(throws: KuraError.self) { try await open(5_000_000) }
        #expect(refused?.code == .insufficientFunds)
        #expect(try await server.writerStateDifferences() == [])
        #expect(try await server.ledgerViolations() == [])
        #expect(try await server.account(payer.id, by: db.operatorPrincipal).balances.first?.available == 999_990)
    }

    /// The catch-up's bulk reputation reads answer exactly the rows the one-row reads find, across every chunk
    /// shape (1, 4, 16, 64 keys and more than 64), with absent and repeated keys.
    static func expectBulkReputationReads(_ store: EventStore, known: [PartyID]) async throws {
        let parties = known + (0..<70).map { PartyID(unchecked: "pty_absent\($0)") } + known
        let keys = parties.flatMap { party in
            ReputationRole.allCases.flatMap { role in
                known.map { ReputationPairRow.Key(party: party, role: role, counterparty: $0) }
            }
        }
        for count in [0, 1, 3, 5, 17, 65, parties.count] {
            let chosen = Array(parties.prefix(count))
            let chosenKeys = Array(keys.prefix(count * 2))
            let (bulkParties, oneParties, bulkPairs, onePairs) = try await store.read { reads throws(KuraError) in
                var oneParties: [PartyID: PartyReputation] = [:]
                for party in chosen { oneParties[party] = try reads.reputationParty(party) }
                var onePairs: [ReputationPairRow.Key: Evidence] = [:]
                for key in chosenKeys {
                    onePairs[key] = try reads.reputationPair(
                        party: key.party, role: key.role, counterparty: key.counterparty)
                }
                return (
                    try reads.reputationParties(chosen), oneParties, try reads.reputationPairs(chosenKeys), onePairs
                )
            }
            #expect(bulkParties.count == oneParties.count, "\(count) parties: no row twice, none missing")
            #expect(Dictionary(uniqueKeysWithValues: bulkParties.map { ($0.party, $0.state) }) == oneParties)
            #expect(bulkPairs.count == onePairs.count, "\(count) pairs: no row twice, none missing")
            #expect(Dictionary(uniqueKeysWithValues: bulkPairs.map { ($0.key, $0.evidence) }) == onePairs)
            if count >= 2 { #expect(!oneParties.isEmpty, "the known parties have rows") }
        }
    }
}
