import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

@Suite("Facilitator: seeded random walks")
struct FacilitatorRandomWalkTests {
    /// Random verify, settle (sometimes twice), time steps, sweeps, price moves, repayments, liquidations,
    /// top-ups and revokes on both lanes. After every step the books balance, no account that may not be
    /// negative is, every mandate row agrees with its ledger account, and a settled reservation stays settled
    /// with the same signature; at the end replay rebuilds the same read models.
    @Test("300 random facilitator steps keep the ledger invariants at every step", arguments: [1 as UInt64, 42])
    func walk(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let world = try await FacilitatorWorld.make("walk\(seed)")
        defer { world.close() }
        var mandate = try await world.mandate(amount: 200_000, perTxCap: 5_000, dailyCap: 60_000)
        var position = try await world.position(collateral: 100_000_000_000, cap: 20_000, price: 1_000)
        var live: [ReservationVerifyResponse] = []
        var settled: [ReservationID: String] = [:]
        let op = world.db.operatorPrincipal
        for step in 0..<300 {
            let roll = Int.random(in: 0..<100, using: &random)
            do {
                switch roll {
                case 0..<30:
                    let amount = UInt64.random(in: 1...6_000, using: &random)
                    live.append(
                        Bool.random(using: &random)
                            ? try await world.verify(mandate.id, amount: amount)
                            : try await world.verifyFast(position.id, amount: amount))
                case 30..<55 where !live.isEmpty:
                    let pick = live[Int.random(in: 0..<live.count, using: &random)]
                    let answer = try await world.settle(pick)
                    if let first = settled[pick.reservationId] {
                        #expect(answer.idempotent && answer.txSignature == first, "step \(step)")
                    } else {
                        #expect(!answer.idempotent, "step \(step)")
                        settled[pick.reservationId] = answer.txSignature
                    }
                case 55..<70:
                    world.clock.advance(by: Int64.random(in: 1...90_000, using: &random))
                    _ = try await world.service.sweep()
                case 70..<78:
                    let price = UInt64.random(in: 700...1_300, using: &random)
                    _ = try await world.service.postPrice(
                        PostPriceRequest(base: sol, quote: usdc, price: price), by: op, idempotencyKey: nil)
                case 78..<84:
                    let now = try await world.service.position(position.id, by: op)
                    if now.debt.units > 0 {
                        _ = try await world.service.actOnPosition(
                            position.id, .repay,
                            amount: try Amount(units: UInt64.random(in: 1...now.debt.units, using: &random)),
                            by: world.principal(world.agent), idempotencyKey: nil)
                    }
                case 84..<88:
                    if try await world.service.position(position.id, by: op).state == .frozen {
                        _ = try await world.service.actOnPosition(
                            position.id, .liquidate, amount: nil, by: op, idempotencyKey: nil)
                        position = try await world.position(collateral: 100_000_000_000, cap: 20_000, price: 1_000)
                    }
                case 88..<93:
                    _ = try await world.service.changeMandate(
                        mandate.id, .topUp(try Amount(units: 10_000)), by: world.principal(world.agent),
                        idempotencyKey: nil)
                case 93..<95:
                    _ = try await world.service.changeMandate(
                        mandate.id, .revoke, by: world.principal(world.agent), idempotencyKey: nil)
                    mandate = try await world.mandate(amount: 200_000, perTxCap: 5_000, dailyCap: 60_000)
                default:
                    break
                }
            } catch let error as KuraError {
                let expected: Set<KuraError.Code> = [
                    .capExceeded, .mandateExhausted, .creditExceeded, .positionFrozen, .reservationExpired,
                    .reservationVoided, .insufficientFunds, .mandateInactive, .positionInactive,
                ]
                #expect(expected.contains(error.code), "step \(step): \(error)")
            }
            #expect(try await world.service.ledgerViolations() == [], "step \(step)")
            let row = try await world.service.mandate(mandate.id, by: op)
            #expect(try await world.ledger(.mandateFunds(mandate.id)) == Int64(row.balance.units), "step \(step)")
            #expect(row.spentToday <= row.dailyCap, "step \(step)")
            let held = try await world.service.position(position.id, by: op)
            #expect(try await world.ledger(.positionDebt(position.id)) == -Int64(held.exposure), "step \(step)")
        }
        for (id, signature) in settled {
            let reservation = try await world.service.reservation(id, by: op)
            #expect(reservation.state == .settled && reservation.txSignature == signature)
        }
        #expect(settled.count > 10)
        let replay = try await world.service.replay()
        #expect(replay.before == replay.after)
    }
}
