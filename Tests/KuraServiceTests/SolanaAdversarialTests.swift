import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraTesting
import KuraX402
import Synchronization
import Testing

/// The endpoint of a node that saw a transaction fail on a fork the cluster then abandoned: for its first
/// `lies` status answers it reports every known signature as processed with an error; after that, the truth.
/// Everything else is the stand-in's.
/// An endpoint that answers as `base` does; a test's endpoint overrides only what it changes.
class ForwardingSolanaRPC: SolanaRPC, @unchecked Sendable {
    let base: any SolanaRPC

    init(_ base: any SolanaRPC) { self.base = base }

    func latestBlockhash(commitment: SolanaCommitment) async throws(SolanaRPCError) -> LatestBlockhash {
        try await base.latestBlockhash(commitment: commitment)
    }
    func isBlockhashValid(_ blockhash: SolanaHash, commitment: SolanaCommitment) async throws(SolanaRPCError) -> Bool {
        try await base.isBlockhashValid(blockhash, commitment: commitment)
    }
    func simulate(_ transaction: SolanaTransaction, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> SimulationResult
    { try await base.simulate(transaction, commitment: commitment) }
    func send(_ transaction: SolanaTransaction, preflightCommitment: SolanaCommitment) async throws(SolanaRPCError)
        -> SolanaSignature
    { try await base.send(transaction, preflightCommitment: preflightCommitment) }
    func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?] {
        try await base.signatureStatuses(signatures)
    }
    func transaction(_ signature: SolanaSignature, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> FetchedTransaction?
    { try await base.transaction(signature, commitment: commitment) }
    func accountInfo(_ account: SolanaPublicKey, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> AccountInfo?
    { try await base.accountInfo(account, commitment: commitment) }
}

final class MinorityForkRPC: ForwardingSolanaRPC, @unchecked Sendable {
    let lies: Mutex<Int>

    init(_ base: any SolanaRPC, lies: Int) {
        self.lies = Mutex(lies)
        super.init(base)
    }

    override func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?]
    {
        let truth = try await base.signatureStatuses(signatures)
        let lie = lies.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        guard lie else { return truth }
        return truth.map { status in
            status.map {
                SignatureStatus(
                    slot: $0.slot, error: ["InstructionError": [0, ["Custom": 1]]], confirmationStatus: .processed)
            }
        }
    }
}

/// A node as it answers right after a send (review finding): the finalized bank is about 32 slots behind the tip,
/// so it does not know a blockhash taken at `confirmed` yet (`isBlockhashValid` at `finalized` is false while
/// the blockhash is young), and the first status of a transaction just sent is null (not processed yet).
final class YoungBlockhashRPC: ForwardingSolanaRPC, @unchecked Sendable {
    /// How many status queries answer null before the truth.
    let unprocessed: Mutex<Int>

    init(_ base: any SolanaRPC, unprocessed: Int) {
        self.unprocessed = Mutex(unprocessed)
        super.init(base)
    }

    override func isBlockhashValid(_ blockhash: SolanaHash, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> Bool
    {
        commitment == .finalized ? false : try await base.isBlockhashValid(blockhash, commitment: commitment)
    }
    override func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?]
    {
        let truth = try await base.signatureStatuses(signatures)
        let hidden = unprocessed.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        return hidden ? truth.map { _ in nil } : truth
    }
}

/// An attacker's attempts on the Solana rail: each a way to be paid twice or to make Kura pay twice.
@Suite("Solana: attempts to be paid twice")
struct SolanaAdversarialTests {
    @Test("a withdrawal reported failed only at processed (a minority fork) is not returned while it lands")
    func failureAtProcessedIsNotFinal() async throws {
        let world = try await SolanaWorld.make(wrap: { MinorityForkRPC($0, lies: 3) })
        let party = try await SolanaFundsTests.funded(world)
        world.ledger.openAccount(of: SolanaFundsTests.destination, mint: SolanaWorld.mint)
        let view = try await world.service.withdrawToSolana(
            SolanaFundsTests.ask(40_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil
        ).value
        // The transaction landed: the destination holds the tokens. The party must not hold them again.
        #expect(world.ledger.balance(owner: SolanaFundsTests.destination, mint: SolanaWorld.mint) == 40_000)
        #expect(view.state != "failed", "\(view)")
        // On a loaded machine the answer may come before the confirmation: the reconciler decides it then.
        var state = view.state
        for _ in 0..<50 where state == "pending" {
            await world.service.reconcileSolana()
            state = try await world.service.withdrawal(view.id, by: world.db.principal(party)).state
        }
        #expect(state == "completed", "\(view)")
        #expect(try await SolanaFundsTests.available(world, party) == 60_000)
        await world.close()
    }

    @Test("a payment whose blockhash the finalized bank does not know yet is not failed while it lands")
    func youngBlockhashIsNotExpired() async throws {
        let world = try await SolanaWorld.make(wrap: { YoungBlockhashRPC($0, unprocessed: 2) })
        let request = try world.payment()
        var settled = try await world.service.facilitatorSettle(request)
        // On a loaded machine the confirmation may come after the settle's wait: pending, then its retry settles.
        for _ in 0..<50 where settled.errorMessage?.contains("not confirmed yet") == true {
            settled = try await world.service.facilitatorSettle(request)
        }
        #expect(settled.success, "\(settled)")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500)
        await world.close()
    }

    /// Review finding: an on-chain receipt in a mint of no asset of this server was accepted (the docs say
    /// `invalid_request`), so a provider could mint a worthless token and pay itself from fresh wallets, each a
    /// made-up party counted as a paying counterparty in its reputation.
    @Test("an on-chain receipt in a mint that is no asset of this server is refused")
    func receiptInAnUnknownMintIsRefused() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        let junk = SolanaPublicKey(TestKeys.publicKey("junk-mint"))
        let owner = SolanaPublicKey(SolanaWorld.payer.publicKey)
        world.ledger.createMint(junk, decimals: 6)
        world.ledger.mint(1_000_000, of: junk, to: owner)
        world.ledger.openAccount(of: SolanaWorld.payee, mint: junk)
        let ask = try Self.paidWithMemo(
            world, mint: junk, paymentId: "kura_1900000000_0123456789abcdef0123456789abcdef")
        let provider = try await world.db.register(name: "provider").party
        let before = try await world.seq()
        let refused = await #expect(throws: KuraError.self) {
            try await world.service.acceptChainReceipt(ask, by: world.db.principal(provider))
        }
        #expect(refused?.code == .invalidRequest, "\(String(describing: refused))")
        #expect(try await world.seq() == before)
        await world.close()
    }

    /// The payer's finalized transfer of 2,500 units of `mint` to the payee with a Memo of `paymentId` (its fee
    /// paid from fresh lamports), and the ask that shows it as a seed receipt.
    static func paidWithMemo(_ world: SolanaWorld, mint: SolanaPublicKey, paymentId: String) throws -> ChainReceiptAsk {
        let owner = SolanaPublicKey(SolanaWorld.payer.publicKey)
        world.ledger.fund(owner, lamports: 1_000_000)
        let message = try SolanaMessage.compile(
            payer: owner,
            instructions: [
                .transferChecked(
                    source: AssociatedTokenAccount.address(owner: owner, mint: mint), mint: mint,
                    destination: AssociatedTokenAccount.address(owner: SolanaWorld.payee, mint: mint),
                    authority: owner, amount: 2_500, decimals: 6),
                .memo(paymentId),
            ], recentBlockhash: world.ledger.latestBlockhash().0)
        let signature = try world.ledger.send(try SolanaTransaction(message: message).signed(with: SolanaWorld.payer))
        _ = world.ledger.statuses([signature])  // finalized
        return ChainReceiptAsk(
            network: world.network, signature: signature.base58, paymentId: paymentId,
            payTo: SolanaWorld.payee.base58, asset: mint.base58, amount: try Amount(units: 2_500))
    }

    /// An adversarial review's finding: the receipt route ignored `Idempotency-Key`, so a provider whose first call
    /// was accepted but whose answer was lost got `transfer_used` on its client's retry, answered the payer 402,
    /// and the payer, who had paid on chain, was never served. The retry with the call's key now gets the first
    /// answer; any other call for the same signature is still `transfer_used`.
    @Test("a seed receipt's retry with its Idempotency-Key gets the first answer; another call is transfer_used")
    func receiptRetriedWithItsKey() async throws {
        let fetches = TransactionFetchCount()
        let world = try await SolanaWorld.make(finalityLag: 1, wrap: { CountingTransactionRPC($0, fetches) })
        let ask = try Self.paidWithMemo(
            world, mint: SolanaWorld.mint, paymentId: "kura_1900000000_00112233445566778899aabbccddeeff")
        let provider = try await world.db.register(name: "provider").party
        let principal = try await world.db.principal(provider)
        let first = try await world.service.acceptChainReceipt(ask, by: principal, idempotencyKey: "receipt-1")
        let after = try await world.seq()
        let retried = try await world.service.acceptChainReceipt(ask, by: principal, idempotencyKey: "receipt-1")
        #expect(retried.value == first.value && retried.replayed)
        #expect(try await world.seq() == after, "the retry wrote nothing")
        for key in ["receipt-2", nil] {
            let again = await #expect(throws: KuraError.self) {
                try await world.service.acceptChainReceipt(ask, by: principal, idempotencyKey: key)
            }
            #expect(again?.code == .transferUsed, "\(String(describing: again))")
        }
        // A used signature is known from the database: neither the retry nor a replay asks the chain again, so
        // replays cannot spend the node's quota (review of this fix).
        #expect(fetches.count.withLock { $0 } == 1, "\(fetches.count.withLock { $0 }) transactions fetched")
        await world.close()
    }

    @Test("a transaction Kura settled as an x402 `exact` payment is not accepted again as a seed receipt")
    func settledPaymentIsNotAReceipt() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        // The attacker puts the payment ID of a seed 402 into the memo of an `exact` payment for something else.
        let paymentId = "kura_1900000000_0123456789abcdef0123456789abcdef"
        let request = try world.payment(world.requirements(memo: paymentId))
        let settled = try await world.service.facilitatorSettle(request)
        #expect(settled.success, "\(settled)")
        let signature = try SolanaSignature(base58: settled.transaction)
        _ = world.ledger.statuses([signature])  // finalized
        let ask = ChainReceiptAsk(
            network: world.network, signature: signature.base58, paymentId: paymentId,
            payTo: SolanaWorld.payee.base58, asset: SolanaWorld.mint.base58, amount: try Amount(units: 2500))
        let provider = try await world.db.register(name: "provider").party
        let before = try await world.seq()
        let reused = await #expect(throws: KuraError.self) {
            try await world.service.acceptChainReceipt(ask, by: world.db.principal(provider))
        }
        #expect(reused?.code == .transferUsed, "\(String(describing: reused))")
        #expect(try await world.seq() == before)
        await world.close()
    }
}

/// The endpoint of a cluster whose mint is a Token-2022 mint with a transfer fee of `percent`: each transfer
/// credits its destination the amount less the fee (withheld in the account, not spendable), as the
/// transaction's `meta.postTokenBalances` show. Everything else is the stand-in's.
final class TransferFeeRPC: ForwardingSolanaRPC, @unchecked Sendable {
    let percent: UInt64

    init(_ base: any SolanaRPC, percent: UInt64) {
        self.percent = percent
        super.init(base)
    }

    override func transaction(_ signature: SolanaSignature, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> FetchedTransaction?
    {
        guard var fetched = try await base.transaction(signature, commitment: commitment) else { return nil }
        fetched.postTokenBalances = fetched.postTokenBalances.map { post in
            let pre = fetched.preTokenBalances.first { $0.accountIndex == post.accountIndex }?.amount ?? 0
            guard post.amount > pre else { return post }
            var charged = post
            charged.amount -= (post.amount - pre) * percent / 100
            return charged
        }
        return fetched
    }
}

@Suite("Solana: attempts to be credited more than arrived")
struct SolanaTransferFeeTests {
    @Test("a deposit of a mint with a transfer fee credits what reached the treasury, not what was sent")
    func depositCreditsWhatArrived() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1, wrap: { TransferFeeRPC($0, percent: 1) })
        let party = try await world.db.register(name: "depositor").party
        let signature = try SolanaFundsTests.transferToTreasury(world, amount: 10_000, memo: party.id.rawValue)
        _ = world.ledger.statuses([signature])  // finalized
        _ = try await world.service.depositFromSolana(
            SolanaDepositProof(tx: signature.base58), to: party.id, by: world.db.principal(party), idempotencyKey: nil)
        #expect(try await SolanaFundsTests.available(world, party) == 9_900)
        await world.close()
    }
}

@Suite("Solana: a settle replayed on another network")
struct SolanaCrossNetworkTests {
    @Test("a pending payment settled again naming another network (same fee payer) is not judged by that network")
    func replayOnAnotherNetwork() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 300, secondNetwork: true)
        let request = try world.payment()
        world.ledger.loseConfirmations(true)
        let first = try await world.service.facilitatorSettle(request)
        #expect(first.errorReason == .svmTransactionFailed && first.errorMessage?.contains("settle again") == true)
        // The same payload, its requirements naming the second network: that cluster has never seen the
        // blockhash, so asked there the payment looks expired.
        var elsewhere = request
        let otherLedger = try #require(world.second).ledger
        otherLedger.expireBlockhashes()  // (the stand-ins name blockhashes alike; a real cluster would not know it)
        let other = otherLedger.network.id
        elsewhere.paymentRequirements.network = other
        elsewhere.paymentPayload.accepted.network = other
        let replayed = try await world.service.facilitatorSettle(elsewhere)
        #expect(replayed.errorReason == .duplicateSettlement, "\(replayed)")
        world.ledger.loseConfirmations(false)
        let second = try await world.service.facilitatorSettle(request)
        #expect(second.success, "the payment landed on its own network: \(second)")
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500)
        await world.close()
    }
}

/// How many transactions a ``CountingTransactionRPC`` fetched.
final class TransactionFetchCount: Sendable {
    let count = Mutex(0)
}

/// The stand-in's endpoint, counting `getTransaction` calls.
final class CountingTransactionRPC: ForwardingSolanaRPC, @unchecked Sendable {
    let fetches: TransactionFetchCount

    init(_ base: any SolanaRPC, _ fetches: TransactionFetchCount) {
        self.fetches = fetches
        super.init(base)
    }

    override func transaction(_ signature: SolanaSignature, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> FetchedTransaction?
    {
        fetches.count.withLock { $0 += 1 }
        return try await base.transaction(signature, commitment: commitment)
    }
}
