import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraTesting
import KuraX402
import Testing

/// x402 `exact` on Solana through the service, against the stand-in cluster: verify, settle once per message
/// hash (durably), simulation, pending and reconciliation, the trust receipt.
@Suite("x402 exact on Solana: facilitator")
struct SolanaFacilitatorTests {
    @Test("supported: exact on the network, extra.feePayer, the fee payer among the signers")
    func supported() async throws {
        let world = try await SolanaWorld.make()
        let supported = world.service.x402Supported()
        let kind = try #require(supported.kinds.first { $0.network == world.network })
        #expect(
            kind.scheme == "exact" && kind.extra?["feePayer"] == .string(SolanaWorld.feePayer.publicKey.solanaAddress))
        #expect(supported.signers["solana:*"] == [SolanaWorld.feePayer.publicKey.solanaAddress])
        #expect(supported.kinds.contains { $0.network == world.service.x402Network.id })
        await world.close()
        // No rail, no Solana rows.
        let plain = try await TestDatabase(label: "plain")
        #expect(!plain.service.x402Supported().kinds.contains { $0.network.hasPrefix("solana:") })
        #expect(plain.service.x402Supported().signers["solana:*"] == nil)
        plain.close()
    }

    @Test("verify: valid after a simulation with Kura's signature; writes nothing")
    func verify() async throws {
        let world = try await SolanaWorld.make()
        let request = try world.payment()
        let before = try await world.seq()
        let answer = await world.service.facilitatorVerify(request)
        #expect(answer == .valid(payer: SolanaWorld.payer.publicKey.solanaAddress), "\(answer)")
        #expect(try await world.seq() == before)
        #expect(world.ledger.simulateCalls == 1 && world.ledger.sendCalls == 0)
        // An offline refusal never reaches the cluster.
        let wrong = try world.payment(world.requirements(amount: 9999))
        var tampered = request
        tampered.paymentRequirements = wrong.paymentRequirements
        tampered.paymentPayload.accepted = wrong.paymentRequirements
        #expect(await world.service.facilitatorVerify(tampered).invalidReason == .svmAmountInsufficient)
        #expect(world.ledger.simulateCalls == 1)
        await world.close()
    }

    @Test("settle: co-signed, sent once, confirmed; one event pair, one receipt whose txSignature is the signature")
    func settle() async throws {
        let world = try await SolanaWorld.make()
        let request = try world.payment()
        let before = try await world.seq()
        let answer = try await world.service.facilitatorSettle(request)
        #expect(answer.success, "\(answer)")
        let signature = try SolanaSignature(base58: answer.transaction)
        #expect(answer.payer == SolanaWorld.payer.publicKey.solanaAddress && answer.network == world.network)
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500)
        #expect(world.ledger.sendCalls == 1 && world.ledger.executions(of: signature) == 1)
        let landed = try #require(world.ledger.landed(signature))
        #expect(landed.transaction.message.feePayer == SolanaPublicKey(SolanaWorld.feePayer.publicKey))
        #expect(try await world.seq() == before + 2, "solana.submitted and solana.settled")
        let receipts = try await world.service.receipts(party: nil, kind: "solana.settled", cursor: nil, limit: 10)
            .items
        #expect(receipts.count == 1)
        let receipt = try #require(receipts.first)
        #expect(
            receipt.txSignature == answer.transaction && receipt.outcome == "settled" && receipt.amount.units == 2500)
        #expect(receipt.payer == SolanaText.party(forAddress: SolanaWorld.payer.publicKey.solanaAddress))
        #expect(receipt.payee == SolanaText.party(forAddress: SolanaWorld.payee.base58))
        // The same transaction again: refused, nothing sent, nothing written.
        let again = try await world.service.facilitatorSettle(request)
        #expect(again.errorReason == .duplicateSettlement)
        let verifyAgain = await world.service.facilitatorVerify(request)
        #expect(verifyAgain.invalidReason == .duplicateSettlement)
        let seq = try await world.seq()
        #expect(world.ledger.sendCalls == 1 && seq == before + 2)
        await world.close()
    }

    @Test("100 concurrent settles of one transaction send it once and succeed once")
    func concurrent() async throws {
        let world = try await SolanaWorld.make()
        let request = try world.payment()
        let answers = try await withThrowingTaskGroup(of: SettleResponse.self) { group in
            for _ in 0..<100 { group.addTask { try await world.service.facilitatorSettle(request) } }
            var all: [SettleResponse] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.filter(\.success).count == 1)
        #expect(answers.filter { !$0.success }.allSatisfy { $0.errorReason == .duplicateSettlement })
        #expect(world.ledger.sendCalls == 1 && world.ledger.landedCount == 1)
        #expect(world.ledger.balance(owner: SolanaWorld.payee, mint: SolanaWorld.mint) == 2500)
        #expect(
            try await world.service.receipts(party: nil, kind: "solana.settled", cursor: nil, limit: 10).items.count
                == 1)
        await world.close()
    }

    @Test("a failed simulation, an expired blockhash, too little on chain: refused, nothing sent or written")
    func refusals() async throws {
        let world = try await SolanaWorld.make()
        let before = try await world.seq()
        world.ledger.failSimulations(2)
        #expect(await world.service.facilitatorVerify(try world.payment()).invalidReason == .svmSimulationFailed)
        #expect(try await world.service.facilitatorSettle(try world.payment()).errorReason == .svmSimulationFailed)
        let stale = try world.payment(nonce: 2)
        world.ledger.expireBlockhashes()
        let expired = try await world.service.facilitatorSettle(stale)
        #expect(
            expired.errorReason == .svmSimulationFailed && expired.errorMessage?.contains("BlockhashNotFound") == true)
        let tooMuch = try world.payment(world.requirements(amount: 2_000_000))
        #expect(try await world.service.facilitatorSettle(tooMuch).errorReason == .svmSimulationFailed)
        let seq = try await world.seq()
        #expect(world.ledger.sendCalls == 0 && seq == before)
        await world.close()
    }

    @Test("a lost confirmation is pending; the retried settle reconciles by signature and never sends again")
    func pendingThenReconciled() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 300)
        let request = try world.payment()
        world.ledger.loseConfirmations(true)
        let first = try await world.service.facilitatorSettle(request)
        #expect(first.errorReason == .svmTransactionFailed && first.errorMessage?.contains("settle again") == true)
        #expect(world.ledger.sendCalls == 1 && world.ledger.landedCount == 1)
        // Still lost: still pending, still not sent again.
        #expect(try await world.service.facilitatorSettle(request).errorReason == .svmTransactionFailed)
        world.ledger.loseConfirmations(false)
        let second = try await world.service.facilitatorSettle(request)
        #expect(second.success, "\(second)")
        #expect(world.ledger.sendCalls == 1)
        #expect(try await world.service.facilitatorSettle(request).errorReason == .duplicateSettlement)
        await world.close()
    }

    /// Review finding: a settle answered pending ("settle again to reconcile"), then the background reconciler saw
    /// the payment confirmed first and recorded it, so the retry got `duplicate_settlement`: the payer paid on chain
    /// and no settle ever answered success, so the resource server never served it.
    @Test("a pending payment confirmed meanwhile is left to its settle's retry for a while, then recorded")
    func reconcilerLeavesTheRetryItsSuccess() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 200)
        let request = try world.payment()
        world.ledger.loseConfirmations(true)
        #expect(try await world.service.facilitatorSettle(request).errorReason == .svmTransactionFailed)
        world.ledger.loseConfirmations(false)
        #expect(await world.service.reconcileSolana() == 0, "the retry's to answer")
        let retried = try await world.service.facilitatorSettle(request)
        #expect(retried.success, "\(retried)")
        // Nobody came back for another: past the grace the reconciler records it, and a late settle is a duplicate.
        let other = try world.payment(world.requirements(memo: "another"))
        world.ledger.loseConfirmations(true)
        #expect(try await world.service.facilitatorSettle(other).errorReason == .svmTransactionFailed)
        world.ledger.loseConfirmations(false)
        _ = world.db.clock.advance(by: world.rail.reconcileGraceMs + 1)
        #expect(await world.service.reconcileSolana() == 1)
        #expect(try await world.service.facilitatorSettle(other).errorReason == .duplicateSettlement)
        #expect(world.ledger.sendCalls == 2)
        await world.close()
    }

    @Test("a send that never lands fails once its blockhash expires; the background reconciler records it")
    func expiredWithoutLanding() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 200)
        let request = try world.payment()
        world.ledger.dropSends(1)
        #expect(try await world.service.facilitatorSettle(request).errorReason == .svmTransactionFailed)
        world.ledger.expireBlockhashes()
        #expect(await world.service.reconcileSolana() == 1)
        let again = try await world.service.facilitatorSettle(request)
        #expect(again.errorReason == .svmTransactionFailed && again.errorMessage?.contains("expired") == true)
        #expect(world.ledger.sendCalls == 1 && world.ledger.landedCount == 0)
        await world.close()
    }

    @Test("a repeat with the same payment identifier and payload gets the first answer")
    func paymentIdentifier() async throws {
        let world = try await SolanaWorld.make()
        let request = try world.payment(identifier: "pay_7d5d747be160e280504c099d984bcfe0")
        let first = try await world.service.facilitatorSettle(request)
        #expect(first.success)
        #expect(try await world.service.facilitatorSettle(request) == first)
        #expect(world.ledger.sendCalls == 1)
        await world.close()
    }

    @Test("a registered party's key is its Solana address: the receipt names the party")
    func partyByKey() async throws {
        let world = try await SolanaWorld.make()
        let reply = try await world.service.registerParty(
            RegisterPartyRequest(
                name: "payee", roles: [.provider], publicKey: TestKeys.publicKey("solana-payee").base64),
            by: world.db.operatorPrincipal, idempotencyKey: nil)
        #expect(try await world.service.facilitatorSettle(try world.payment()).success)
        let receipt = try await #require(
            world.service.receipts(party: nil, kind: "solana.settled", cursor: nil, limit: 1).items.first)
        #expect(receipt.payee == reply.value.party.id)
        await world.close()
    }
}
