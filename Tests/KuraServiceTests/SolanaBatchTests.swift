import Dispatch
import KuraCore
import KuraCrypto
import KuraSolana
import KuraStore
import KuraTesting
import KuraX402
import Logging
import Synchronization
import Testing

@testable import KuraService

/// The Solana guarantees in a writer that decides against its memory before anything is written (storage
/// boundary, issue 15): a claim, a deposit or a withdrawal earlier in the same batch is not a row yet, so the
/// writer's state must account for it (each such test holds the writer inside a batch while the commands queue
/// behind it, so that the next batch takes them all); and what another writer on the same database decided
/// must replace what this one remembers.
@Suite("Solana in the writer's memory: one batch, two writers")
struct SolanaBatchTests {
    /// Blocks the writer thread inside a command until released.
    final class Gate: Sendable {
        private let state = Mutex(false)
        private let semaphore = DispatchSemaphore(value: 0)

        var entered: Bool { state.withLock { $0 } }

        func hold() {
            state.withLock { $0 = true }
            semaphore.wait()
        }

        func release() { semaphore.signal() }
    }

    /// Runs `count` commands while the writer is held, releases it once all of them have entered its queue, and
    /// answers their results and how many had queued.
    static func inOneBatch<T: Sendable>(
        _ store: EventStore, _ count: Int, _ command: @escaping @Sendable (Int) async -> T
    ) async throws -> (results: [T], queued: Int) {
        let gate = Gate()
        let held = Task { try await store.transact { (_: inout WriteTransaction) throws(KuraError) in gate.hold() } }
        while !gate.entered { try await Task.sleep(for: .milliseconds(1)) }
        let base = store.writesQueued
        async let results = withTaskGroup(of: T.self) { group in
            for n in 0..<count { group.addTask { await command(n) } }
            return await group.reduce(into: [T]()) { $0.append($1) }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while store.writesQueued < base + count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        let queued = store.writesQueued - base
        gate.release()
        try await held.value
        return (await results, queued)
    }

    static func outcome(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "ok"
        } catch { return (error as? KuraError)?.code.rawValue ?? "\(error)" }
    }

    /// A claim as settle makes it (the record's own checks need base58 of the right lengths).
    static func record() throws -> SolanaPaymentRecord {
        SolanaPaymentRecord(
            network: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
            messageHash: Base58.encode([UInt8](repeating: 7, count: 32)),
            signature: Base58.encode([UInt8](repeating: 8, count: 64)),
            transaction: "", payer: SolanaPublicKey(TestKeys.publicKey("batch-payer")).base58,
            payTo: SolanaPublicKey(TestKeys.publicKey("batch-payee")).base58,
            payerParty: SolanaText.party(forAddress: SolanaPublicKey(TestKeys.publicKey("batch-payer")).base58),
            payeeParty: SolanaText.party(forAddress: SolanaPublicKey(TestKeys.publicKey("batch-payee")).base58),
            asset: try Asset("USDC"), amount: try Amount(units: 2_500), payloadHash: Hex.encode(SHA256.hash([1])),
            paymentIdentifier: nil, submittedAt: Timestamp(milliseconds: 1_000))
    }

    @Test("claims of one message hash in one batch: exactly one is appended, the others find it")
    func claimsInOneBatch() async throws {
        let db = try await TestDatabase(label: "solana-claims-batch")
        defer { db.close() }
        let record = try Self.record()
        let service = db.service
        let before = try await db.store.head().seq
        // `claim` directly: the per-process in-flight set that keeps concurrent settles apart is not what is tested.
        let (results, queued) = try await Self.inOneBatch(db.store, 16) { _ in
            do throws(X402Refusal) {
                return try await service.claim(record) ? "claimed" : "found"
            } catch { return error.reason.rawValue }
        }
        #expect(queued == 16)
        #expect(results.filter { $0 == "claimed" }.count == 1, "\(results)")
        #expect(results.filter { $0 == "found" }.count == 15, "\(results)")
        let stream = try await db.store.events(inStream: SolanaPayment.stream(messageHash: record.messageHash))
        #expect(stream.map(\.type) == ["solana.submitted"])
        #expect(try await db.store.head().seq == before + 1, "one claim (the held command appends nothing)")
        #expect(try await db.service.writerStateDifferences() == [])
    }

    @Test("withdrawals of one party in one batch count against one day's limit together")
    func withdrawalsInOneBatch() async throws {
        let limits = WithdrawalLimits(perWithdrawal: try Amount(units: 50_000), perDay: try Amount(units: 70_000))
        let world = try await SolanaWorld.make(limits: limits)
        let party = try await SolanaFundsTests.funded(world, amount: 200_000)
        world.ledger.openAccount(of: SolanaFundsTests.destination, mint: SolanaWorld.mint)
        let service = world.service
        let principal = world.db.principal(party)
        let ask = try SolanaFundsTests.ask(20_000)
        let (results, queued) = try await Self.inOneBatch(world.db.store, 6) { _ in
            await Self.outcome {
                _ = try await service.withdrawToSolana(ask, from: party.id, by: principal, idempotencyKey: nil)
            }
        }
        #expect(queued == 6)
        // 3 × 20 000 fit in the day's 70 000; a fourth would not.
        #expect(results.filter { $0 == "ok" }.count == 3, "\(results)")
        #expect(results.filter { $0 == "cap_exceeded" }.count == 3, "\(results)")
        #expect(try await SolanaFundsTests.available(world, party) == 140_000)
        #expect(world.ledger.balance(owner: SolanaFundsTests.destination, mint: SolanaWorld.mint) == 60_000)
        #expect(world.ledger.sendCalls == 3)
        #expect(try await world.service.ledgerViolations().isEmpty)
        #expect(try await world.service.writerStateDifferences() == [])
        let replay = try await world.service.replay()
        #expect(replay.before == replay.after)
        await world.close()
    }

    @Test("deposits of one signature in one batch credit once")
    func depositsInOneBatch() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        let party = try await world.db.register(name: "depositor").party
        let signature = try SolanaFundsTests.transferToTreasury(world, amount: 12_345, memo: party.id.rawValue)
        _ = world.ledger.statuses([signature])  // one slot later: finalized
        let service = world.service
        let principal = world.db.principal(party)
        let proof = SolanaDepositProof(tx: signature.base58)
        let (results, queued) = try await Self.inOneBatch(world.db.store, 8) { _ in
            await Self.outcome {
                _ = try await service.depositFromSolana(proof, to: party.id, by: principal, idempotencyKey: nil)
            }
        }
        #expect(queued == 8)
        #expect(results.filter { $0 == "ok" }.count == 1, "\(results)")
        #expect(results.filter { $0 == "transfer_used" }.count == 7, "\(results)")
        #expect(try await SolanaFundsTests.available(world, party) == 12_345)
        #expect(try await world.service.ledgerViolations().isEmpty)
        #expect(try await world.service.writerStateDifferences() == [])
        await world.close()
    }

    @Test("a seed receipt naming a transaction claimed earlier in the same batch is refused")
    func receiptOfAClaimInOneBatch() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        // A landed transfer carrying a seed payment ID, and a claim of it as an x402 payment Kura settles: the
        // receipt's check before the fetch reads the rows, where the claim is not yet, so only the writer's
        // memory of the batch can refuse it.
        let paymentId = "kura_1900000000_00112233445566778899aabbccddeeff"
        let signature = try SolanaFundsTests.transferToTreasury(world, amount: 2_500, memo: paymentId)
        _ = world.ledger.statuses([signature])  // finalized
        var record = try Self.record()
        record.network = world.network
        record.signature = signature.base58
        let ask = ChainReceiptAsk(
            network: world.network, signature: signature.base58, paymentId: paymentId,
            payTo: world.rail.treasuryAddress.base58, asset: SolanaWorld.mint.base58, amount: try Amount(units: 2_500))
        let provider = try await world.db.register(name: "provider").party
        let principal = world.db.principal(provider)
        let service = world.service
        let store = world.db.store
        let before = try await world.seq()

        let gate = Gate()
        let held = Task { try await store.transact { (_: inout WriteTransaction) throws(KuraError) in gate.hold() } }
        while !gate.entered { try await Task.sleep(for: .milliseconds(1)) }
        let base = store.writesQueued
        func queued(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while store.writesQueued < base + count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        let claim = Task { () -> String in
            do throws(X402Refusal) {
                return try await service.claim(record) ? "claimed" : "found"
            } catch { return error.reason.rawValue }
        }
        try await queued(1)
        let receipt = Task { await Self.outcome { _ = try await service.acceptChainReceipt(ask, by: principal) } }
        try await queued(2)
        #expect(store.writesQueued == base + 2, "both commands wait for one batch")
        gate.release()
        try await held.value

        #expect(await claim.value == "claimed")
        #expect(await receipt.value == "transfer_used")
        #expect(try await world.seq() == before + 1, "the claim only")
        #expect(try await world.service.writerStateDifferences() == [])
        await world.close()
    }

    @Test("two writers on one database: each one's memory of payments, withdrawals and deposits follows the other's")
    func twoWriters() async throws {
        let limits = WithdrawalLimits(perWithdrawal: try Amount(units: 50_000), perDay: try Amount(units: 30_000))
        let world = try await SolanaWorld.make(confirmTimeoutMs: 200, finalityLag: 1, limits: limits)
        let party = try await SolanaFundsTests.funded(world, amount: 100_000)
        world.ledger.openAccount(of: SolanaFundsTests.destination, mint: SolanaWorld.mint)
        var writer = WriterConfiguration()
        writer.assertState = true
        let second = try KuraService.openStore(path: world.db.path, create: false, durable: false, writer: writer)
        defer { second.close() }
        var configuration = ServiceConfiguration()
        configuration.solana = [world.rail]
        let a = world.service
        let b = KuraService(
            store: second, signer: TestKeys.serviceSigner, clock: world.db.clock.clock, configuration: configuration,
            secrets: .seeded("second"), logger: Logger.quiet())
        let principal = world.db.principal(party)

        // A settles a payment and a withdrawal whose confirmations are lost: both stay undecided in A's memory.
        world.ledger.loseConfirmations(true)
        let request = try world.payment()
        #expect(try await a.facilitatorSettle(request).errorReason == .svmTransactionFailed)
        let pending = try await a.withdrawToSolana(
            SolanaFundsTests.ask(7_000), from: party.id, by: principal, idempotencyKey: nil
        ).value
        #expect(pending.state == "pending")
        // B decides both by their signatures (the payment once A's settle had its time to come back for it).
        world.ledger.loseConfirmations(false)
        _ = world.db.clock.advance(by: world.rail.reconcileGraceMs + 1)
        #expect(await b.reconcileSolana() == 2)
        // A's next batches see B's outcomes: the payment is settled (a second settle is a duplicate), the
        // withdrawal completed and counted against the day (7 000 + 23 001 > 30 000), the balances moved.
        #expect(try await a.facilitatorSettle(request).errorReason == .duplicateSettlement)
        let overDay = await Self.outcome {
            _ = try await a.withdrawToSolana(
                SolanaFundsTests.ask(23_001), from: party.id, by: principal, idempotencyKey: nil)
        }
        #expect(overDay == "cap_exceeded")
        #expect(try await a.withdrawal(pending.id, by: principal).state == "completed")
        #expect(try await SolanaFundsTests.available(world, party) == 93_000)
        #expect(try await a.writerStateDifferences() == [])
        // B credits a deposit; A refuses the same signature and decides on the credited balance.
        let signature = try SolanaFundsTests.transferToTreasury(world, amount: 5_000, memo: party.id.rawValue)
        _ = world.ledger.statuses([signature])
        let proof = SolanaDepositProof(tx: signature.base58)
        _ = try await b.depositFromSolana(proof, to: party.id, by: principal, idempotencyKey: nil)
        let twice = await Self.outcome {
            _ = try await a.depositFromSolana(proof, to: party.id, by: principal, idempotencyKey: nil)
        }
        #expect(twice == "transfer_used")
        #expect(try await SolanaFundsTests.available(world, party) == 98_000)
        #expect(try await a.writerStateDifferences() == [])
        #expect(try await b.writerStateDifferences() == [])
        #expect(try await a.ledgerViolations().isEmpty)
        // A replay of the log rebuilds the same Solana rows (the projection digest covers them).
        let replay = try await a.replay()
        #expect(replay.before == replay.after)
        #expect(try await a.writerStateDifferences() == [])
        await world.close()
    }
}
