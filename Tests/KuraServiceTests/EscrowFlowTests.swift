import KuraCore
import KuraService
import KuraTesting
import Testing

@Suite("Escrow lifecycle through the service")
struct EscrowFlowTests {
    @Test("lock, deliver, confirm: the payee gets the amount less 50 bps, Kura the fee")
    func happyPath() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let opened = try await world.open(amount: 10_000)
        #expect(opened.state == .locked)
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 990_000, held: 10_000))
        #expect(try await world.ledger(.escrowHeld(opened.id)) == 10_000)

        let delivered = try await world.act(.deliver, on: opened.id, by: world.payee)
        #expect(delivered.state == .delivered)
        #expect(delivered.evidence == digest("the delivered response"))
        #expect(delivered.deliveredAt == world.db.clock.now)

        let released = try await world.act(.confirm, on: opened.id, by: world.payer)
        #expect(released.state == .released)
        #expect(released.fee == (try Amount(units: 50)))
        #expect(try await world.balance(world.payee) == .init(asset: usdc, available: 9_950, held: 0))
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 990_000, held: 0))
        #expect(try await world.ledger(.fees) == 50)
        #expect(try await world.ledger(.escrowHeld(opened.id)) == 0)
        #expect(try await world.ledger(.external) == -1_000_000)
        #expect(try await world.escrow(opened.id) == released)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("fees round down and every unit is accounted for", arguments: [1 as UInt64, 199, 200, 201, 999_999])
    func feeRounding(amount: UInt64) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open(amount: amount)
        try await world.act(.deliver, on: escrow.id, by: world.payee)
        try await world.act(.confirm, on: escrow.id, by: world.payer)
        let fee = amount * 50 / 10_000
        #expect(try await world.ledger(.fees) == Int64(fee))
        #expect(try await world.balance(world.payee).available == amount - fee)
        #expect(try await world.balance(world.payer).available == 1_000_000 - amount)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("the payer cancels before delivery: everything comes back")
    func cancel() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        let cancelled = try await world.act(.cancel, on: escrow.id, by: world.payer)
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.closedAt == world.db.clock.now)
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 1_000_000, held: 0))
        #expect(try await world.ledger(.fees) == 0)
        // After delivery, cancel is no longer the payer's way out.
        let second = try await world.open()
        try await world.act(.deliver, on: second.id, by: world.payee)
        let error = await refusal { try await world.act(.cancel, on: second.id, by: world.payer) }
        #expect(error?.code == .invalidTransition)
    }

    @Test("the payee refunds from any state before release", arguments: [Escrow.State.locked, .delivered, .disputed])
    func refund(from state: Escrow.State) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        if state != .locked { try await world.act(.deliver, on: escrow.id, by: world.payee) }
        if state == .disputed { try await world.act(.dispute, on: escrow.id, by: world.payer) }
        #expect(try await world.escrow(escrow.id).state == state)
        let refunded = try await world.act(.refund, on: escrow.id, by: world.payee)
        #expect(refunded.state == .refunded)
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 1_000_000, held: 0))
        #expect(try await world.balance(world.payee).available == 0)
        #expect(try await world.ledger(.fees) == 0)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("a dispute keeps the funds held, names the dispute, and stops auto-release")
    func dispute() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open(amount: 10_000, confirmWindowMs: 3_600_000)
        try await world.act(.deliver, on: escrow.id, by: world.payee)
        let disputed = try await world.act(.dispute, on: escrow.id, by: world.payer)
        #expect(disputed.state == .disputed)
        let disputeId = try #require(disputed.disputeId)
        #expect(disputeId.rawValue.hasPrefix("dsp_"))
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 990_000, held: 10_000))
        #expect(try await world.balance(world.payee) == .init(asset: usdc, available: 0, held: 0))
        #expect(try await world.ledger(.escrowHeld(escrow.id)) == 10_000)

        // Long after the confirm window, the sweeper leaves a disputed escrow alone.
        world.db.clock.advance(by: 10 * 3_600_000)
        let report = try await world.service.sweep()
        #expect(report == SweepReport())
        #expect(try await world.escrow(escrow.id).state == .disputed)
        #expect(try await world.escrow(escrow.id).disputeId == disputeId)
        // And confirm is no longer possible.
        let error = await refusal { try await world.act(.confirm, on: escrow.id, by: world.payer) }
        #expect(error?.code == .invalidTransition)
    }

    @Test("a dispute after the dispute window is refused")
    func disputeWindowCloses() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open(confirmWindowMs: 3_600_000, disputeWindowMs: 60_000)
        try await world.act(.deliver, on: escrow.id, by: world.payee)
        world.db.clock.advance(by: 60_000)
        let error = await refusal { try await world.act(.dispute, on: escrow.id, by: world.payer) }
        #expect(error?.code == .invalidTransition)
        #expect(try await world.escrow(escrow.id).state == .delivered)
    }

    @Test("nothing delivered by deliverBy: the sweeper expires the escrow and refunds the payer")
    func expiry() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open(amount: 10_000, deliverIn: 60_000)

        // deliverBy is inclusive: at the deadline itself the escrow is not yet due.
        world.db.clock.advance(by: 60_000)
        #expect(try await world.service.sweep() == SweepReport())
        #expect(try await world.escrow(escrow.id).state == .locked)

        world.db.clock.advance(by: 1)
        let lateDelivery = await refusal { try await world.act(.deliver, on: escrow.id, by: world.payee) }
        #expect(lateDelivery?.code == .invalidTransition)
        let report = try await world.service.sweep()
        #expect(report.expired == [escrow.id])
        #expect(report.released == [])
        let expired = try await world.escrow(escrow.id)
        #expect(expired.state == .expired)
        #expect(expired.closedAt == world.db.clock.now)
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 1_000_000, held: 0))
        #expect(try await world.ledger(.fees) == 0)

        let head = try await world.service.store.head()
        #expect(try await world.service.sweep() == SweepReport())
        #expect(try await world.service.store.head() == head)
    }

    @Test("no answer within the confirm window: the sweeper releases to the payee")
    func autoRelease() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open(amount: 10_000, deliverIn: 60_000, confirmWindowMs: 3_600_000)
        world.db.clock.advance(by: 30_000)
        try await world.act(.deliver, on: escrow.id, by: world.payee)

        // Past deliverBy but delivered: not an expiry. Before the window ends: not a release.
        world.db.clock.advance(by: 3_600_000 - 1)
        #expect(try await world.service.sweep() == SweepReport())
        #expect(try await world.escrow(escrow.id).state == .delivered)

        world.db.clock.advance(by: 1)
        let report = try await world.service.sweep()
        #expect(report.released == [escrow.id])
        #expect(report.expired == [])
        let released = try await world.escrow(escrow.id)
        #expect(released.state == .released)
        #expect(released.releasedAt == world.db.clock.now)
        #expect(try await world.balance(world.payee) == .init(asset: usdc, available: 9_950, held: 0))
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 990_000, held: 0))
        #expect(try await world.ledger(.fees) == 50)

        let head = try await world.service.store.head()
        world.db.clock.advance(by: 3_600_000)
        #expect(try await world.service.sweep() == SweepReport())
        #expect(try await world.service.store.head() == head)
        #expect(try await world.balance(world.payee).available == 9_950)
    }

    @Test("one sweep handles many due escrows, each once")
    func sweepMany() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        var expiring: Set<EscrowID> = []
        var releasing: Set<EscrowID> = []
        for i in 0..<6 {
            let escrow = try await world.open(amount: 1_000, deliverIn: 60_000, confirmWindowMs: 60_000)
            if i.isMultiple(of: 2) {
                try await world.act(.deliver, on: escrow.id, by: world.payee)
                releasing.insert(escrow.id)
            } else {
                expiring.insert(escrow.id)
            }
        }
        let kept = try await world.open(amount: 1_000, deliverIn: 10 * 3_600_000)
        world.db.clock.advance(by: 120_000)
        let report = try await world.service.sweep()
        #expect(Set(report.expired) == expiring)
        #expect(Set(report.released) == releasing)
        #expect(report.expired.count + report.released.count == 6)
        #expect(try await world.escrow(kept.id).state == .locked)
        #expect(try await world.balance(world.payee).available == 3 * (1_000 - 5))
        #expect(
            try await world.balance(world.payer)
                == .init(asset: usdc, available: 1_000_000 - 3_000 - 1_000, held: 1_000))
        #expect(try await world.service.sweep() == SweepReport())
    }

    @Test("escrows are listed per party, newest first, by state and page")
    func listing() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        var ids: [EscrowID] = []
        for _ in 0..<5 { ids.append(try await world.open(amount: 100).id) }
        try await world.act(.cancel, on: ids[1], by: world.payer)
        let payerPrincipal = world.db.principal(world.payer)
        let first = try await world.service.escrows(party: nil, state: nil, cursor: nil, limit: 3, by: payerPrincipal)
        #expect(first.items.map(\.id) == Array(ids.reversed().prefix(3)))
        let rest = try await world.service.escrows(
            party: nil, state: nil, cursor: first.nextCursor, limit: 3, by: payerPrincipal)
        #expect(rest.items.map(\.id) == [ids[1], ids[0]])
        #expect(rest.nextCursor == nil)
        let cancelled = try await world.service.escrows(
            party: world.payee.id, state: .cancelled, cursor: nil, limit: 10, by: world.db.principal(world.payee))
        #expect(cancelled.items.map(\.id) == [ids[1]])
        let strangers = try await world.service.escrows(
            party: nil, state: nil, cursor: nil, limit: 10, by: world.db.principal(world.stranger))
        #expect(strangers.items.isEmpty)
    }
}
