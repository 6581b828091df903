import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Disputes through KuraService: who may read them, the arbiter's work list, idempotent rulings, refunds
/// that close a dispute, and the ledger after each step.
@Suite("disputes in the service")
struct DisputeServiceTests {
    /// The three-arbiter golden scenario, kept open for further questions.
    static func threeArbiters() async throws -> ScenarioSession {
        try await ScenarioRunner.start(GoldenFixtures.scenario("dispute-three-arbiters"))
    }

    @Test("the sides, the arbiters and operators may read a dispute; nobody else")
    func visibility() async throws {
        let session = try await Self.threeArbiters()
        defer { session.close() }
        let service = session.service
        let escrow = try #require(session.escrows["e1"])
        let id = try #require(try await service.escrow(escrow, by: session.database.operatorPrincipal).disputeId)
        for name in ["hana", "kenji", "ada", "bo", "cy", "dee", "operator"] {
            let view = try await service.dispute(id, by: Principal(party: session.parties[name]!))
            #expect(view.dispute.state == .resolved, "\(name)")
            #expect(view.timeline.first?.type == "escrow.locked" && view.timeline.last?.type == "escrow.resolved")
        }
        let stranger = try await session.database.register(name: "stranger", roles: [.agent, .arbiter]).party
        let refused = await refusal { try await service.dispute(id, by: Principal(party: stranger)) }
        #expect(refused?.code == .forbidden)
        let strangersList = try await service.disputes(
            mine: false, state: nil, cursor: nil, limit: 10, by: Principal(party: stranger))
        #expect(strangersList.items.isEmpty)
        let all = try await service.disputes(
            mine: false, state: .resolved, cursor: nil, limit: 10, by: session.database.operatorPrincipal)
        #expect(all.items.map(\.id) == [id])
        // bo recused: still involved (may read it), but no longer on the panel's work list.
        let bo = Principal(party: session.parties["bo"]!)
        #expect(try await service.disputes(mine: true, state: nil, cursor: nil, limit: 10, by: bo).items.isEmpty)
        #expect(
            try await service.disputes(mine: false, state: nil, cursor: nil, limit: 10, by: bo).items.map(\.id) == [id])
        let ada = Principal(party: session.parties["ada"]!)
        #expect(
            try await service.disputes(mine: true, state: nil, cursor: nil, limit: 10, by: ada).items.map(\.id) == [id])
    }

    @Test("a ruling retried with its Idempotency-Key is answered from the store; another body is a conflict")
    func idempotentRuling() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let arbiter = try await world.db.register(name: "arb", roles: [.arbiter]).party
        let disputeId = try await world.disputed(amount: 5_000).dispute
        _ = try await world.service.act(
            onDispute: disputeId, .evidence, body: ["statement": "delivered"], by: world.db.principal(world.payee),
            idempotencyKey: nil)
        let statement = RulingStatement(
            disputeId: disputeId, round: 1, arbiter: arbiter.id, refundBps: 10_000, reason: "empty",
            at: world.db.clock.now)
        let request = RulingRequest(
            ruling: statement, signature: Base64.encode(try statement.signed(with: TestKeys.secretKey("arb"))),
            reason: "empty")
        let body = try JSONValue(encoding: request)
        let first = try await world.service.act(
            onDispute: disputeId, .rulings, body: body, by: world.db.principal(arbiter), idempotencyKey: "r-1")
        let again = try await world.service.act(
            onDispute: disputeId, .rulings, body: body, by: world.db.principal(arbiter), idempotencyKey: "r-1")
        #expect(!first.replayed && again.replayed && first.value == again.value)
        #expect(first.value.state == .decided && first.value.decision?.refundBps == 10_000)
        let other = await refusal {
            try await world.service.act(
                onDispute: disputeId, .recusals, body: [:], by: world.db.principal(arbiter), idempotencyKey: "r-1")
        }
        #expect(other?.code == .idempotencyConflict)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("a payee's refund during a dispute closes it and returns the whole amount")
    func refundCloses() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let (escrow, disputeId) = try await world.disputed(amount: 7_000)
        try await world.act(.refund, on: escrow.id, by: world.payee)
        let dispute = try await world.service.dispute(disputeId, by: world.db.operatorPrincipal).dispute
        #expect(dispute.state == .closed && dispute.closedAt != nil)
        #expect(try await world.balance(world.payer).available == 1_000_000)
        let late = await refusal {
            try await world.service.act(
                onDispute: disputeId, .appeal, body: [:], by: world.db.principal(world.payer), idempotencyKey: nil)
        }
        #expect(late?.code == .disputeNotOpen)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("replay rebuilds the dispute read model exactly", arguments: ["dispute-three-arbiters", "dispute-appeal"])
    func replay(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        #expect(session.result.replay.before == session.result.replay.after)
        #expect(session.result.ledgerViolations == [])
    }
}
