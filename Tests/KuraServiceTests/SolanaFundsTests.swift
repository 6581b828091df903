import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraTesting
import Testing

/// Money in and out on Solana through the service, against the stand-in: deposits once per signature,
/// withdrawals debited before sending, limits, failures returning the funds, reconciliation by signature.
@Suite("Solana deposits and withdrawals")
struct SolanaFundsTests {
    static let destination = SolanaPublicKey(TestKeys.publicKey("solana-destination"))

    /// A party holding `amount` USDC on Kura's ledger.
    static func funded(_ world: SolanaWorld, _ name: String = "agent", amount: UInt64 = 100_000) async throws -> Party {
        let party = try await world.db.register(name: name).party
        try await world.db.deposit(party: party, amount: amount)
        return party
    }

    static func ask(_ amount: UInt64, to destination: SolanaPublicKey = destination) throws -> SolanaWithdrawalAsk {
        SolanaWithdrawalAsk(
            asset: try Asset("USDC"), amount: try Amount(units: amount), destination: destination.base58)
    }

    static func available(_ world: SolanaWorld, _ party: Party) async throws -> UInt64 {
        try await world.service.account(party.id, by: world.db.principal(party)).balances.first {
            $0.asset.name == "USDC"
        }?
        .available ?? 0
    }

    @Test("a withdrawal: debited, sent once, confirmed, paid out to external, one receipt")
    func completes() async throws {
        let world = try await SolanaWorld.make()
        let party = try await Self.funded(world)
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        let reply = try await world.service.withdrawToSolana(
            Self.ask(40_000), from: party.id, by: world.db.principal(party), idempotencyKey: "w-1")
        let view = reply.value
        #expect(view.state == "completed", "\(view)")
        #expect(try await Self.available(world, party) == 60_000)
        #expect(world.ledger.balance(owner: Self.destination, mint: SolanaWorld.mint) == 40_000)
        #expect(world.ledger.sendCalls == 1)
        let receipt = try await #require(
            world.service.receipts(party: party.id, kind: "withdrawal.completed", cursor: nil, limit: 5).items.first)
        #expect(receipt.txSignature == view.signature && receipt.subject == view.id.rawValue)
        #expect(try await world.service.ledgerViolations().isEmpty)
        // The same request with the same key: the stored answer, nothing sent again.
        let again = try await world.service.withdrawToSolana(
            Self.ask(40_000), from: party.id, by: world.db.principal(party), idempotencyKey: "w-1")
        #expect(again.replayed && again.value.id == view.id && world.ledger.sendCalls == 1)
        #expect(try await world.service.withdrawal(view.id, by: world.db.principal(party)).state == "completed")
        await world.close()
    }

    @Test(
        "over the per-withdrawal limit, the daily limit or the balance, or for another party: refused, nothing written")
    func refused() async throws {
        let limits = WithdrawalLimits(perWithdrawal: try Amount(units: 50_000), perDay: try Amount(units: 70_000))
        let world = try await SolanaWorld.make(limits: limits)
        let party = try await Self.funded(world, amount: 200_000)
        let poor = try await Self.funded(world, "poor", amount: 10)
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        let before = try await world.seq()
        let tooBig = await #expect(throws: KuraError.self) {
            try await world.service.withdrawToSolana(
                Self.ask(50_001), from: party.id, by: world.db.principal(party), idempotencyKey: nil)
        }
        #expect(tooBig?.code == .capExceeded)
        let broke = await #expect(throws: KuraError.self) {
            try await world.service.withdrawToSolana(
                Self.ask(11), from: poor.id, by: world.db.principal(poor), idempotencyKey: nil)
        }
        #expect(broke?.code == .insufficientFunds)
        let stranger = await #expect(throws: KuraError.self) {
            try await world.service.withdrawToSolana(
                Self.ask(5), from: party.id, by: world.db.principal(poor), idempotencyKey: nil)
        }
        #expect(stranger?.code == .forbidden)
        #expect(try await world.seq() == before && world.ledger.sendCalls == 0)
        // 50 000 today, then 20 001 more is over the day's 70 000.
        _ = try await world.service.withdrawToSolana(
            Self.ask(50_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil)
        let afterFirst = try await world.seq()
        let daily = await #expect(throws: KuraError.self) {
            try await world.service.withdrawToSolana(
                Self.ask(20_001), from: party.id, by: world.db.principal(party), idempotencyKey: nil)
        }
        #expect(daily?.code == .capExceeded)
        #expect(try await world.seq() == afterFirst && world.ledger.sendCalls == 1)
        // An operator may withdraw for the party.
        let byOperator = try await world.service.withdrawToSolana(
            Self.ask(20_000), from: party.id, by: world.db.operatorPrincipal, idempotencyKey: nil)
        #expect(byOperator.value.state == "completed")
        await world.close()
    }

    @Test("a network or an asset this server has no rail for is the request's mistake: 400, nothing written")
    func noRail() async throws {
        let world = try await SolanaWorld.make()
        let party = try await Self.funded(world)
        let before = try await world.seq()
        var elsewhere = try Self.ask(5)
        elsewhere.network = "solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z"
        var unknownAsset = try Self.ask(5)
        unknownAsset.asset = try Asset("EURC")
        for ask in [elsewhere, unknownAsset] {
            let refusal = await #expect(throws: KuraError.self) {
                try await world.service.withdrawToSolana(
                    ask, from: party.id, by: world.db.principal(party), idempotencyKey: nil)
            }
            #expect(refusal?.code == .invalidRequest, "\(String(describing: refusal))")
        }
        #expect(try await world.seq() == before && world.ledger.sendCalls == 0)
        await world.close()
    }

    @Test("a transfer the cluster refuses fails and returns the funds")
    func failedReturnsFunds() async throws {
        let world = try await SolanaWorld.make()
        let party = try await Self.funded(world)
        // No token account at the destination: the token program refuses the transfer at preflight.
        let view = try await world.service.withdrawToSolana(
            Self.ask(1_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil
        ).value
        #expect(view.state == "failed" && view.failure?.contains("transaction_failed") == true, "\(view)")
        #expect(try await Self.available(world, party) == 100_000)
        #expect(try await world.service.ledgerViolations().isEmpty)
        // A failed withdrawal does not count against the day.
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        _ = try await world.service.withdrawToSolana(
            Self.ask(1_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil)
        #expect(world.ledger.balance(owner: Self.destination, mint: SolanaWorld.mint) == 1_000)
        await world.close()
    }

    @Test("a lost confirmation stays pending, then the reconciler completes it; paid exactly once")
    func pendingReconciled() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 200)
        let party = try await Self.funded(world)
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        world.ledger.loseConfirmations(true)
        let view = try await world.service.withdrawToSolana(
            Self.ask(7_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil
        ).value
        #expect(view.state == "pending")
        #expect(try await Self.available(world, party) == 93_000)
        #expect(await world.service.reconcileSolana() == 0)
        world.ledger.loseConfirmations(false)
        #expect(await world.service.reconcileSolana() == 1)
        #expect(try await world.service.withdrawal(view.id, by: world.db.principal(party)).state == "completed")
        #expect(world.ledger.balance(owner: Self.destination, mint: SolanaWorld.mint) == 7_000)
        let available = try await Self.available(world, party)
        #expect(world.ledger.sendCalls == 1 && available == 93_000)
        await world.close()
    }

    @Test("a send that never lands: once the blockhash expires the funds come back")
    func expiredReturnsFunds() async throws {
        let world = try await SolanaWorld.make(confirmTimeoutMs: 200)
        let party = try await Self.funded(world)
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        world.ledger.dropSends(1)
        let view = try await world.service.withdrawToSolana(
            Self.ask(3_000), from: party.id, by: world.db.principal(party), idempotencyKey: nil
        ).value
        #expect(view.state == "pending")
        #expect(await world.service.reconcileSolana() == 0, "the blockhash is still valid: it may land")
        world.ledger.expireBlockhashes()
        #expect(await world.service.reconcileSolana() == 1)
        #expect(try await world.service.withdrawal(view.id, by: world.db.principal(party)).state == "failed")
        #expect(try await Self.available(world, party) == 100_000)
        #expect(world.ledger.balance(owner: Self.destination, mint: SolanaWorld.mint) == 0)
        await world.close()
    }

    /// Sends a finalized transfer of `amount` from the payer to Kura's treasury with `memo`; its signature.
    static func transferToTreasury(_ world: SolanaWorld, amount: UInt64, memo: String) throws -> SolanaSignature {
        let owner = SolanaPublicKey(SolanaWorld.payer.publicKey)
        let message = try SolanaMessage.compile(
            payer: owner,
            instructions: [
                .transferChecked(
                    source: AssociatedTokenAccount.address(owner: owner, mint: SolanaWorld.mint),
                    mint: SolanaWorld.mint,
                    destination: world.rail.treasuryAccount(world.rail.assets[0]), authority: owner, amount: amount,
                    decimals: 6),
                .memo(memo),
            ], recentBlockhash: world.ledger.latestBlockhash().0)
        world.ledger.fund(owner, lamports: 1_000_000)
        let tx = try SolanaTransaction(message: message).signed(with: SolanaWorld.payer)
        return try world.ledger.send(tx)
    }

    /// Review finding: the withdrawal's and the deposit's idempotency hash left out the account in the path, so an
    /// operator's second withdrawal (for another party, same key and body) was answered with the first party's
    /// withdrawal, and never made.
    @Test("one Idempotency-Key for withdrawals from two accounts is a conflict, not the first one's answer")
    func idempotencyKeyNamesTheAccount() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        let first = try await Self.funded(world, "first")
        let second = try await Self.funded(world, "second")
        world.ledger.openAccount(of: Self.destination, mint: SolanaWorld.mint)
        let operatorPrincipal = world.db.operatorPrincipal
        _ = try await world.service.withdrawToSolana(
            Self.ask(1_000), from: first.id, by: operatorPrincipal, idempotencyKey: "op-withdraw-1")
        let conflict = await #expect(throws: KuraError.self) {
            try await world.service.withdrawToSolana(
                Self.ask(1_000), from: second.id, by: operatorPrincipal, idempotencyKey: "op-withdraw-1")
        }
        #expect(conflict?.code == .idempotencyConflict, "\(String(describing: conflict))")
        #expect(try await Self.available(world, second) == 100_000)
        await world.close()
    }

    @Test("a deposit: a finalized transfer to the treasury naming the party credits it once")
    func deposit() async throws {
        let world = try await SolanaWorld.make(finalityLag: 1)
        let party = try await world.db.register(name: "depositor").party
        let signature = try Self.transferToTreasury(world, amount: 12_345, memo: party.id.rawValue)
        _ = world.ledger.statuses([signature])  // one slot later: finalized
        let proof = SolanaDepositProof(tx: signature.base58)
        let account = try await world.service.depositFromSolana(
            proof, to: party.id, by: world.db.principal(party), idempotencyKey: nil
        ).value
        #expect(account.balances.first?.available == 12_345)
        let before = try await world.seq()
        let twice = await #expect(throws: KuraError.self) {
            try await world.service.depositFromSolana(
                proof, to: party.id, by: world.db.operatorPrincipal, idempotencyKey: nil)
        }
        #expect(twice?.code == .transferUsed)
        let available = try await Self.available(world, party)
        #expect(try await world.seq() == before && available == 12_345)
        // Another party's memo, an unknown signature, a transfer elsewhere: refused.
        let other = try await world.db.register(name: "other").party
        let misnamed = await #expect(throws: KuraError.self) {
            try await world.service.depositFromSolana(
                proof, to: other.id, by: world.db.operatorPrincipal, idempotencyKey: nil)
        }
        #expect(misnamed?.code == .transferUsed || misnamed?.code == .transferRefused)
        let second = try Self.transferToTreasury(world, amount: 5, memo: "someone else")
        _ = world.ledger.statuses([second])
        let wrongMemo = await #expect(throws: KuraError.self) {
            try await world.service.depositFromSolana(
                SolanaDepositProof(tx: second.base58), to: other.id, by: world.db.operatorPrincipal, idempotencyKey: nil
            )
        }
        #expect(wrongMemo?.code == .transferRefused)
        let unknown = await #expect(throws: KuraError.self) {
            try await world.service.depositFromSolana(
                SolanaDepositProof(tx: SolanaSignature.empty.base58), to: other.id, by: world.db.operatorPrincipal,
                idempotencyKey: nil)
        }
        #expect(unknown?.code == .transferRefused)
        #expect(try await world.service.ledgerViolations().isEmpty)
        await world.close()
    }

    @Test("a deposit not yet finalized is refused until it is")
    func depositNotFinalized() async throws {
        let world = try await SolanaWorld.make(finalityLag: 5)
        let party = try await world.db.register(name: "depositor").party
        let signature = try Self.transferToTreasury(world, amount: 100, memo: party.id.rawValue)
        let early = await #expect(throws: KuraError.self) {
            try await world.service.depositFromSolana(
                SolanaDepositProof(tx: signature.base58), to: party.id, by: world.db.principal(party),
                idempotencyKey: nil)
        }
        #expect(early?.code == .transferRefused)
        for _ in 0..<5 { _ = world.ledger.statuses([signature]) }
        _ = try await world.service.depositFromSolana(
            SolanaDepositProof(tx: signature.base58), to: party.id, by: world.db.principal(party), idempotencyKey: nil)
        #expect(try await Self.available(world, party) == 100)
        await world.close()
    }
}
