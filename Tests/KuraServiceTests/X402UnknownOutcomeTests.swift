import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraStore
import KuraTesting
import KuraX402
import Synchronization
import Testing

/// A settle whose commit may have landed must not be answered as refused: the resource server would answer 402
/// and its client pay again with a new authorization (review finding). It is a 503, which the caller's
/// client retries with the same `Idempotency-Key`, and the retry gets the settlement if it landed.
@Suite("x402 facilitator: a settle whose outcome is unknown")
struct X402UnknownOutcomeTests {
    @Test("a commit that lands but reports a lost connection is 503; the retry with the key answers it, paid once")
    func committedThenLost() async throws {
        let database = try CommitThenLostDatabase()
        let db = try await TestDatabase(label: #function, backend: database)
        defer { db.close() }
        let payer = try await db.register(name: "payer", roles: [.agent]).party
        let payee = try await db.register(name: "payee", roles: [.provider]).party
        let stranger = try await db.register(name: "stranger", roles: [.agent, .provider]).party
        try await db.deposit(party: payer, amount: 1_000_000)
        let world = EscrowWorld(db: db, payer: payer, payee: payee, stranger: stranger)
        let x = X402Payments(world: world)
        let request = try x.pay(x.requirements(.exact))
        func settle() async throws(KuraError) -> SettleResponse {
            let body: JSONValue
            do { body = try JSONValue(encoding: request) } catch { throw KuraError(.internalError, "\(error)") }
            return try await world.service.perform(
                KuraAPI.x402Settle,
                Invocation(
                    principal: nil, path: NoPath(), query: X402SettleQuery(repeats: .refuse), body: body,
                    idempotencyKey: "kc-settle-once")
            ).value
        }
        database.loseNextCommit()
        let lost = await #expect(throws: KuraError.self) { try await settle() }
        #expect(lost?.code == .storageUnavailable, "a 503, not a refusal: \(String(describing: lost))")
        #expect(try await x.available(payer) == 1_000_000 - 250_000, "the commit landed")
        // A retry that cannot read the payer (the database restarting) is not told "no" either (review finding).
        database.failReads(true)
        let unread = await #expect(throws: KuraError.self) { try await settle() }
        #expect(unread?.code == .storageUnavailable, "\(String(describing: unread))")
        database.failReads(false)
        let retried = try await settle()
        #expect(retried.success, "the retry with the same key gets the settlement: \(retried)")
        #expect(try await x.available(payer) == 1_000_000 - 250_000, "paid once")
    }
}

extension X402UnknownOutcomeTests {
    @Test("a Solana payment confirmed on chain whose record's commit is lost is 503, not a refusal")
    func solanaCommittedThenLost() async throws {
        let database = try CommitThenLostDatabase()
        let world = try await SolanaWorld.make(backend: database)
        // The claim commits; the commit that records the chain's outcome lands and reports a lost connection.
        database.loseNextCommit(skipping: 1)
        let payment = try world.payment()
        let lost = await #expect(throws: KuraError.self) {
            try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-1")
        }
        #expect(lost?.code == .storageUnavailable, "a 503, not a refusal: \(String(describing: lost))")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid on chain")

        // Review finding: the retry the 503 asks for, with its key, got duplicate_settlement, and the resource
        // server never served what its client had paid for. It gets the success; another repeat does not.
        let retried = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-1")
        #expect(retried.success, "\(retried)")
        #expect(retried.amount == X402Amount(units: 2500))
        for key in ["settle-2", nil] as [String?] {
            let repeated = try await world.service.facilitatorSettle(payment, idempotencyKey: key)
            #expect(!repeated.success && repeated.errorReason == .duplicateSettlement, "\(repeated)")
        }
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid once")
        await world.close()
    }
}

extension X402UnknownOutcomeTests {
    /// Review finding: a client that gave up waiting for the chain (its timeout is shorter than the settle's wait for
    /// confirmation) retried with its key and was refused `duplicate_settlement` by the first call still in flight;
    /// the resource server answered 402 and its client paid again.
    @Test("a retry with the key while the first settle still waits for the chain is 503; another key is refused")
    func solanaRetryWhileTheFirstWaits() async throws {
        let (world, gate) = try await Self.solanaWorld(wrappedBy: SendGateRPC.init)
        let payment = try world.payment()
        let first = Task { try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-1") }
        for _ in 0..<500 where !gate.sending.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        let retried = await #expect(throws: KuraError.self) {
            try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-1")
        }
        #expect(retried?.code == .railUnavailable, "\(String(describing: retried))")
        let other = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-2")
        #expect(!other.success && other.errorReason == .duplicateSettlement, "\(other)")
        gate.open.withLock { $0 = true }
        let settled = try await first.value
        #expect(settled.success, "\(settled)")
        #expect(try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-1").success)
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid once")
        await world.close()
    }
}

extension X402UnknownOutcomeTests {
    /// Reviews of the change above: the claim's own call was answered success after another request (a replay of
    /// the payment elsewhere, or on another node) recorded the confirmation and was answered success too, one
    /// payment served twice; and giving the success to the claiming call alone left a settle answered pending
    /// ("settle again") and retried under a new key (as KuraClient makes one per call) without any success.
    @Test("one call is told of a Solana payment's success: the one that recorded it, and its retry with its key")
    func solanaSuccessToOneCall() async throws {
        let (world, gate, payment) = try await Self.pendingSolanaPayment(key: "settle-1")
        gate.hidden.withLock { $0 = false }
        let again = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-2")
        #expect(again.success, "the settle again that the pending answer asked for: \(again)")
        for key in ["settle-1", nil] as [String?] {
            let other = try await world.service.facilitatorSettle(payment, idempotencyKey: key)
            #expect(!other.success && other.errorReason == .duplicateSettlement, "\(String(describing: key)): \(other)")
        }
        let retried = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-2")
        #expect(retried.success, "the retry of the call told of it: \(retried)")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid once")
        await world.close()
    }
}

extension X402UnknownOutcomeTests {
    /// Review finding: a call that recorded the confirmation while presenting the same transaction in another
    /// payload (another `resource`) was compared with the claim's payload, so its retry after a lost answer
    /// heard `duplicate_settlement` and nobody was told of the success.
    @Test("the call that recorded a payment under another payload hears its success again on its retry")
    func solanaRecorderOfAnotherPayload() async throws {
        let database = try CommitThenLostDatabase()
        let (world, gate, payment) = try await Self.pendingSolanaPayment(key: "settle-a", backend: database)
        var elsewhere = payment
        elsewhere.paymentPayload.resource?.url = "https://elsewhere.example/v1/forecast"
        gate.hidden.withLock { $0 = false }
        database.loseNextCommit()
        let lost = await #expect(throws: KuraError.self) {
            try await world.service.facilitatorSettle(elsewhere, idempotencyKey: "settle-b")
        }
        #expect(lost?.code == .storageUnavailable, "\(String(describing: lost))")
        let retried = try await world.service.facilitatorSettle(elsewhere, idempotencyKey: "settle-b")
        #expect(retried.success, "\(retried)")
        let claimer = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-a")
        #expect(!claimer.success && claimer.errorReason == .duplicateSettlement, "\(claimer)")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid once")
        await world.close()
    }
}

extension X402UnknownOutcomeTests {
    /// Left open by the last stop, now fixed: a settle that arrived while the background reconciler asked the chain
    /// about the same payment heard `duplicate_settlement`, a refusal, before anyone knew whether it had landed;
    /// a resource server then answers 402 and its client pays again. It is told to come back instead.
    @Test("a settle while the reconciler asks the chain about its payment is told to come back, then succeeds")
    func solanaSettleWhileReconciling() async throws {
        let (world, gate, payment) = try await Self.pendingSolanaPayment(key: "settle-1")
        gate.held.withLock { $0 = true }
        gate.hidden.withLock { $0 = false }
        let reconciling = Task { await world.service.reconcileSolana() }
        for _ in 0..<500 where !gate.asked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        try #require(gate.asked.withLock { $0 }, "the reconciler is asking the chain")
        let during = await #expect(throws: KuraError.self) {
            try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-2")
        }
        #expect(during?.code == .railUnavailable, "\(String(describing: during))")
        gate.held.withLock { $0 = false }
        _ = await reconciling.value
        // Confirmed within the grace period, the reconciler leaves the success to a settle to record (and answer).
        let again = try await world.service.facilitatorSettle(payment, idempotencyKey: "settle-2")
        #expect(again.success, "\(again)")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500, "paid once")
        await world.close()
    }
}

extension X402UnknownOutcomeTests {
    /// A Solana world whose node is wrapped by `wrap`, and the wrapper, for the test to steer.
    static func solanaWorld<Wrapper: ForwardingSolanaRPC>(
        confirmTimeoutMs: Int64 = 5_000, backend: (any TestBackendDatabase)? = nil,
        wrappedBy wrap: @escaping @Sendable (any SolanaRPC) -> Wrapper, label: String = #function
    ) async throws -> (SolanaWorld, Wrapper) {
        let made = Mutex<Wrapper?>(nil)
        let world = try await SolanaWorld.make(
            confirmTimeoutMs: confirmTimeoutMs,
            wrap: { base in
                let wrapper = wrap(base)
                made.withLock { $0 = wrapper }
                return wrapper
            }, backend: backend, label: label)
        return (world, try #require(made.withLock { $0 }))
    }

    /// A Solana world whose node hides transactions' statuses until the test shows them (`gate.hidden`), and a
    /// payment whose first settle, under `key`, was answered pending ("not confirmed yet").
    static func pendingSolanaPayment(
        key: String, backend: (any TestBackendDatabase)? = nil, label: String = #function
    ) async throws -> (SolanaWorld, StatusGateRPC, FacilitatorRequest) {
        let (world, gate) = try await solanaWorld(
            confirmTimeoutMs: 300, backend: backend, wrappedBy: StatusGateRPC.init, label: label)
        let payment = try world.payment()
        let pending = try await world.service.facilitatorSettle(payment, idempotencyKey: key)
        #expect(!pending.success && pending.errorMessage?.contains("not confirmed yet") == true, "\(pending)")
        return (world, gate, payment)
    }
}

/// A node that does not show transactions' statuses until the test lets it: a confirmation that comes late.
/// While `held`, a status request waits (after setting `asked`): a reader of the chain held mid-question.
final class StatusGateRPC: ForwardingSolanaRPC, @unchecked Sendable {
    let hidden = Mutex(true)
    let held = Mutex(false)
    let asked = Mutex(false)

    override func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?]
    {
        while held.withLock({ $0 }) {
            asked.withLock { $0 = true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let truth = try await base.signatureStatuses(signatures)
        return hidden.withLock { $0 } ? truth.map { _ in nil } : truth
    }
}

/// A node whose `send` waits until the test opens it: a settle held in flight.
final class SendGateRPC: ForwardingSolanaRPC, @unchecked Sendable {
    let sending = Mutex(false)
    let open = Mutex(false)

    override func send(_ transaction: SolanaTransaction, preflightCommitment: SolanaCommitment)
        async throws(SolanaRPCError) -> SolanaSignature
    {
        sending.withLock { $0 = true }
        while !open.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        return try await base.send(transaction, preflightCommitment: preflightCommitment)
    }
}

/// A SQLite database whose writer's next commit, once armed, lands and then fails as a dropped connection
/// does on PostgreSQL when the server committed before its answer was lost.
final class CommitThenLostDatabase: TestBackendDatabase, @unchecked Sendable {
    private let inner: SQLiteTestDatabase
    private let lock = NSLock()
    /// How many commits go through before the one lost; nil: none is lost.
    private var untilLost: Int?

    init() throws { inner = try SQLiteTestDatabase() }

    private var readsFail = false

    /// While set, every read fails as an unreachable database does.
    func failReads(_ failing: Bool) { lock.withLock { readsFail = failing } }

    fileprivate var readsFailing: Bool { lock.withLock { readsFail } }

    /// Loses the commit after the next `skipping` ones.
    func loseNextCommit(skipping: Int = 0) { lock.withLock { untilLost = skipping } }

    /// Whether this commit is the one to lose (and disarms).
    fileprivate func takeArmed() -> Bool {
        lock.withLock {
            guard let left = untilLost else { return false }
            untilLost = left == 0 ? nil : left - 1
            return left == 0
        }
    }

    func open(durable: Bool) throws(KuraError) -> any StorageBackend {
        LosingBackend(inner: try inner.open(durable: durable), database: self)
    }

    func execute(_ sql: String, privileged: Bool) throws(KuraError) { try inner.execute(sql, privileged: privileged) }
    func remove() { inner.remove() }
}

private final class LosingBackend: StorageBackend, @unchecked Sendable {
    let inner: any StorageBackend
    let database: CommitThenLostDatabase

    init(inner: any StorageBackend, database: CommitThenLostDatabase) {
        self.inner = inner
        self.database = database
    }

    func makeWriterSession() throws(KuraError) -> any WriterSession {
        LosingSession(inner: try inner.makeWriterSession(), database: database)
    }

    func read<T: Sendable>(
        _ lane: ReadLane, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        if database.readsFailing { throw KuraError(.storageUnavailable, "the database does not answer") }
        return try await inner.read(lane, body)
    }

    func close() { inner.close() }
}

private final class LosingSession: WriterSession {
    let inner: any WriterSession
    let database: CommitThenLostDatabase

    init(inner: any WriterSession, database: CommitThenLostDatabase) {
        self.inner = inner
        self.database = database
    }

    func begin() throws(KuraError) -> LogHead { try inner.begin() }
    func begin(after known: LogPosition?) throws(KuraError) -> BatchStart { try inner.begin(after: known) }
    var reads: any ReadSession { inner.reads }
    func write(_ batch: BatchWrite) throws(KuraError) { try inner.write(batch) }
    func commit() throws(KuraError) {
        try inner.commit()
        if database.takeArmed() {
            throw KuraError(.storageUnavailable, "the connection closed before the answer to COMMIT")
        }
    }
    func rollback() { inner.rollback() }
    func resetReadModels(_ models: ReadModelSet) throws(KuraError) { try inner.resetReadModels(models) }
    func close() { inner.close() }
}
