import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

@Suite("Facilitator: the crypto-fast lane")
struct CryptoFastTests {
    @Test("collateral locked, credit at 60 % of value, settle records debt, repay clears it, close returns collateral")
    func creditDebtRepay() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let position = try await world.position(collateral: 100_000_000_000, cap: 50_000, price: 1_000)
        #expect(position.ltvBps == 6_000 && position.minHealthBps == 15_000)
        #expect(try await world.ledger(.positionCollateral(position.id), sol) == 100_000_000_000)

        let first = try await world.verifyFast(position.id, amount: 40_000)
        #expect(try await world.ledger(.positionDebt(position.id)) == -40_000)
        // 60,000 of credit: 40,000 reserved, so 20,001 more is refused and 20,000 is not.
        let over = await refusal { try await world.verifyFast(position.id, amount: 20_001) }
        #expect(over?.code == .creditExceeded)
        let second = try await world.verifyFast(position.id, amount: 20_000)
        _ = try await world.settle(first)
        #expect(try await world.available(world.provider) == 39_960)
        var now = try await world.service.position(position.id, by: world.principal(world.agent))
        #expect(now.debt.units == 40_000 && now.reserved.units == 20_000)
        #expect(try await world.ledger(.positionDebt(position.id)) == -60_000)

        // An expired reservation gives its credit back.
        world.clock.advance(by: 120_000)
        #expect(try await world.service.sweep().voided == [second.reservationId])
        #expect(try await world.ledger(.positionDebt(position.id)) == -40_000)

        let close = await refusal {
            try await world.service.actOnPosition(
                position.id, .close, amount: nil, by: world.principal(world.agent), idempotencyKey: nil)
        }
        #expect(close?.code == .invalidTransition)
        let tooMuch = await refusal {
            try await world.service.actOnPosition(
                position.id, .repay, amount: try Amount(units: 40_001), by: world.principal(world.agent),
                idempotencyKey: nil)
        }
        #expect(tooMuch?.code == .invalidRequest)
        now = try await world.service.actOnPosition(
            position.id, .repay, amount: try Amount(units: 40_000), by: world.principal(world.agent),
            idempotencyKey: nil
        ).value
        #expect(now.debt == .zero)
        #expect(try await world.ledger(.positionDebt(position.id)) == 0)
        now = try await world.service.actOnPosition(
            position.id, .close, amount: nil, by: world.principal(world.agent), idempotencyKey: nil
        ).value
        #expect(now.state == .closed)
        #expect(try await world.available(world.agent, sol) == 1_000_000_000_000)
        #expect(try await world.available(world.agent) == 1_000_000 - 40_000)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("single-payment cap and a missing price have their own codes")
    func capAndPrice() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let position = try await world.position(cap: 1_000)
        #expect(await refusal { try await world.verifyFast(position.id, amount: 1_001) }?.code == .capExceeded)
        // A position on a pair no one has priced.
        let eth = try Asset("ETH")
        try await world.db.deposit(party: world.agent, asset: "ETH", amount: 1_000)
        let unpriced = try await world.service.openPosition(
            OpenPositionRequest(
                agent: world.agent.id, collateralAsset: eth, collateral: try Amount(units: 1_000), asset: usdc,
                singlePaymentCap: try Amount(units: 100)), by: world.principal(world.agent), idempotencyKey: nil
        ).value
        #expect(await refusal { try await world.verifyFast(unpriced.id, amount: 1) }?.code == .priceUnavailable)
    }

    @Test("a price drop below health 1.5 freezes the position; liquidation voids its reservations and covers the debt")
    func freezeAndLiquidate() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        // Value 100,000, credit 60,000.
        let position = try await world.position(collateral: 100_000_000_000, cap: 50_000, price: 1_000)
        let settledOne = try await world.verifyFast(position.id, amount: 50_000)
        _ = try await world.settle(settledOne)
        let live = try await world.verifyFast(position.id, amount: 10_000)
        // Exposure 60,000: health 100,000 / 60,000 = 1.66. At price 890 the value is 89,000: health 1.483 < 1.5.
        let operatorPrincipal = world.db.operatorPrincipal
        let still = try await world.service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: 900), by: operatorPrincipal, idempotencyKey: nil
        ).value
        #expect(still.frozen == [])
        let notFrozen = await refusal {
            try await world.service.actOnPosition(
                position.id, .liquidate, amount: nil, by: operatorPrincipal, idempotencyKey: nil)
        }
        #expect(notFrozen?.code == .invalidTransition)
        let drop = try await world.service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: 890), by: operatorPrincipal, idempotencyKey: nil
        ).value
        #expect(drop.frozen == [position.id])
        #expect(await refusal { try await world.verifyFast(position.id, amount: 1) }?.code == .positionFrozen)
        let agentTries = await refusal {
            try await world.service.actOnPosition(
                position.id, .liquidate, amount: nil, by: world.principal(world.agent), idempotencyKey: nil)
        }
        #expect(agentTries?.code == .forbidden)

        let liquidated = try await world.service.actOnPosition(
            position.id, .liquidate, amount: nil, by: operatorPrincipal, idempotencyKey: nil
        ).value
        #expect(liquidated.state == .liquidated && liquidated.debt == .zero && liquidated.reserved == .zero)
        #expect(await refusal { try await world.settle(live) }?.code == .reservationVoided)
        // 50,000 of debt at 890 per 10^9: ⌈50,000 × 10^9 / 890⌉ = 56,179,775,281 units sold, the rest returned.
        let sold: Int64 = 56_179_775_281
        #expect(try await world.ledger(.positionCollateral(position.id), sol) == 0)
        #expect(try await world.ledger(.external, sol) == -1_000_000_000_000 + sold)
        #expect(try await world.available(world.agent, sol) == 1_000_000_000_000 - sold)
        #expect(try await world.ledger(.positionDebt(position.id)) == 0)
        #expect(try await world.service.ledgerViolations() == [])
        let kinds = try await world.events("position/\(position.id)").map(\.type)
        #expect(kinds == ["position.opened", "position.frozen", "position.liquidated"])
    }

    @Test("a price recovery unfreezes a frozen position")
    func unfreeze() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let position = try await world.position(collateral: 100_000_000_000, cap: 60_000, price: 1_000)
        _ = try await world.settle(try await world.verifyFast(position.id, amount: 60_000))
        let op = world.db.operatorPrincipal
        let down = try await world.service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: 800), by: op, idempotencyKey: nil
        ).value
        #expect(down.frozen == [position.id])
        let up = try await world.service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: 950), by: op, idempotencyKey: nil
        ).value
        #expect(up.unfrozen == [position.id])
        #expect(try await world.service.position(position.id, by: op).state == .active)
        let stranger = await refusal {
            try await world.service.postPrice(
                PostPriceRequest(base: sol, quote: usdc, price: 1), by: world.principal(world.agent),
                idempotencyKey: nil)
        }
        #expect(stranger?.code == .forbidden)
    }
}
