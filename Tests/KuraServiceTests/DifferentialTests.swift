import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import KuraX402
import Synchronization
import Testing

/// The differential test of issue 15: seeded random commands of every aggregate (escrows, disputes with
/// rulings, channels with vouchers, mandates, reservations, positions and prices, payments, x402 settlements,
/// deposits and withdrawals, party suspensions, the sweeper) sent in concurrent rounds, so that the writer
/// batches them together and refuses some inside a batch. After every round the writer's in-memory state
/// must equal the read models (`writerStateDifferences()`, which compares every cached entry with its row) and
/// the ledger must balance; and a replay of the log must rebuild the same read models (`replay().before ==
/// after`): after every round in one walk, every tenth round in the other. A replay also rebuilds the writer's
/// memory, so the second walk is the one whose memory lives through many batches. Both walks run on each
/// backend (SQLite and PostgreSQL).
@Suite("Differential: the writer's memory, the read models and a replay agree")
struct DifferentialTests {
    /// What a round's command left behind, merged into the walk's state after the round.
    enum Effect: Sendable {
        case none
        case escrow(EscrowID)
        case dispute(DisputeID)
        case channel(ChannelID)
        case reservation(ReservationVerifyResponse)
        case mandate(MandateID)
        case position(PositionID)
    }

    struct State {
        var escrows: [EscrowID] = []
        var disputes: [DisputeID] = []
        var channels: [ChannelID] = []
        var reservations: [ReservationVerifyResponse] = []
        var mandates: [MandateID] = []
        var positions: [PositionID] = []
        var nonce: UInt8 = 0
    }

    /// One walk: its seed, how often it replays the log, and the backend it runs on.
    struct Walk: Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let replayEvery: Int
        let backend: StoreBackendFactory
        var testDescription: String { "\(backend.name): seed \(seed), replay every \(replayEvery)" }
    }

    static var walks: [Walk] {
        StoreBackends.all.flatMap { backend in
            [Walk(seed: 11, replayEvery: 1, backend: backend), Walk(seed: 2_024, replayEvery: 10, backend: backend)]
        }
    }

    @Test("seeded concurrent rounds over every aggregate", arguments: walks)
    func rounds(_ walk: Walk) async throws {
        let (seed, replayEvery) = (walk.seed, walk.replayEvery)
        var random = SplitMix64(seed: seed)
        let world = try await FacilitatorWorld.make(
            "differential\(seed)", funds: 50_000_000, backend: try await walk.backend.makeDatabase())
        defer { world.close() }
        let service = world.service
        let db = world.db
        let op = db.operatorPrincipal
        var arbiters: [Party] = []
        for name in ["arbiter-1", "arbiter-2", "arbiter-3"] {
            arbiters.append(try await db.register(name: name, roles: [.arbiter]).party)
        }
        try await db.deposit(party: world.stranger, amount: 5_000_000)
        _ = try await service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: 1_000), by: op, idempotencyKey: nil)
        var state = State()
        let outcomes = Mutex<[String: Int]>([:])

        for round in 0..<60 {
            // The commands of this round, each a closure over a snapshot of the state.
            var commands: [@Sendable () async throws -> Effect] = []
            for _ in 0..<Int.random(in: 1...14, using: &random) {
                commands.append(
                    try await Self.command(
                        &random, &state, world: world, arbiters: arbiters, round: round))
            }
            let effects = await withTaskGroup(of: (String, Effect).self) { group in
                for command in commands {
                    group.addTask {
                        do { return ("ok", try await command()) } catch let error as KuraError {
                            return (error.code.rawValue, .none)
                        } catch { return ("\(error)", .none) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for (outcome, effect) in effects {
                outcomes.withLock { $0[outcome, default: 0] += 1 }
                switch effect {
                case .none: break
                case .escrow(let id): state.escrows.append(id)
                case .dispute(let id): state.disputes.append(id)
                case .channel(let id): state.channels.append(id)
                case .reservation(let verified): state.reservations.append(verified)
                case .mandate(let id): state.mandates.append(id)
                case .position(let id): state.positions.append(id)
                }
            }
            // After the batch: memory equals rows, the books balance.
            let differences = try await service.writerStateDifferences()
            try #require(differences.isEmpty, "round \(round): \(differences.prefix(5))")
            let violations = try await service.ledgerViolations()
            try #require(violations.isEmpty, "round \(round): \(violations)")
            if round % replayEvery == replayEvery - 1 {
                let replay = try await service.replay()
                try #require(replay.before == replay.after, "round \(round): replay rebuilt other read models")
                // Replay rebuilt the writer's memory too: it must again equal the rows.
                #expect(try await service.writerStateDifferences() == [], "round \(round), after replay")
            }
        }
        let replay = try await service.replay()
        #expect(replay.before == replay.after)
        #expect(try await service.store.verify().isValid)
        // The walk must have exercised the aggregates, accepted and refused.
        let counts = outcomes.withLock { $0 }
        #expect(counts["ok", default: 0] > 250, "\(counts)")
        #expect(counts.keys.count > 4, "refusals of several kinds: \(counts)")
        let made = [
            "escrows": state.escrows.count, "disputes": state.disputes.count, "channels": state.channels.count,
            "reservations": state.reservations.count, "mandates": state.mandates.count,
            "positions": state.positions.count,
        ]
        #expect(made["escrows"]! > 20 && made["disputes"]! > 2 && made["channels"]! > 3, "\(made) \(counts)")
        #expect(made["reservations"]! > 10 && made["mandates"]! > 2 && made["positions"]! > 1, "\(made) \(counts)")
    }

    /// One random command.
    static func command(
        _ random: inout SplitMix64, _ state: inout State, world: FacilitatorWorld, arbiters: [Party], round: Int
    ) async throws -> @Sendable () async throws -> Effect {
        let service = world.service
        let db = world.db
        let op = db.operatorPrincipal
        let agent = world.principal(world.agent)
        let provider = world.principal(world.provider)
        let clock = world.clock
        func pick<T>(_ items: [T]) -> T? {
            items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)]
        }
        let amount = UInt64.random(in: 1...9_000, using: &random)
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<14:
            let payer = Bool.random(using: &random) ? world.agent : world.stranger
            let request = OpenEscrowRequest(
                payee: world.provider.id, amount: try Amount(units: amount), asset: usdc,
                deliverBy: clock.now.adding(milliseconds: Int64.random(in: 1_000...600_000, using: &random)))
            return {
                .escrow(try await service.openEscrow(request, by: db.principal(payer), idempotencyKey: nil).value.id)
            }
        case 14..<30:
            let action = [EscrowAction.deliver, .deliver, .confirm, .dispute, .dispute, .cancel, .refund]
                .randomElement(using: &random)!
            // Disputes go to recent escrows: an old one has mostly expired or closed by the time it is picked.
            guard let id = pick(action == .dispute ? Array(state.escrows.suffix(4)) : state.escrows) else {
                return { .none }
            }
            let actor = action == .deliver || action == .refund ? provider : nil
            return {
                let escrow = try await service.escrow(id, by: op)
                // A dispute needs a delivery first; without this, almost every random dispute is refused.
                if action == .dispute, escrow.state == .locked {
                    _ = try? await service.act(
                        on: id, .deliver, body: body(for: .deliver), by: provider, idempotencyKey: nil)
                }
                let by: Principal
                if let actor { by = actor } else { by = db.principal(try await service.party(escrow.terms.payer)) }
                let after = try await service.act(on: id, action, body: body(for: action), by: by, idempotencyKey: nil)
                return after.value.disputeId.map { .dispute($0) } ?? .none
            }
        case 30..<36:
            guard let id = pick(state.disputes) else { return { .none } }
            let refund = Int.random(in: 0...10_000, using: &random)
            let evidence = Bool.random(using: &random)
            return {
                let dispute = try await service.dispute(id, by: op).dispute
                if evidence || dispute.panel.isEmpty {
                    _ = try await service.act(
                        onDispute: id, .evidence, body: ["evidence": [.string(digest("more \(refund)"))]],
                        by: db.principal(try await service.party(dispute.payer)), idempotencyKey: nil)
                    return .none
                }
                let arbiter = try await service.party(dispute.panel[refund % dispute.panel.count])
                let statement = RulingStatement(
                    disputeId: id, round: dispute.round, arbiter: arbiter.id, refundBps: refund, reason: "ruled",
                    at: clock.now)
                let signature = try statement.signed(with: TestKeys.secretKey(arbiter.name))
                _ = try await service.act(
                    onDispute: id, .rulings,
                    body: try JSONValue(
                        encoding: RulingRequest(ruling: statement, signature: Base64.encode(signature), reason: "ruled")
                    ),
                    by: db.principal(arbiter), idempotencyKey: nil)
                return .none
            }
        case 36..<42:
            let request = OpenChannelRequest(
                provider: world.provider.id, asset: usdc, amount: try Amount(units: amount * 10),
                challengePeriodMs: 300_000, expiresAt: clock.now.adding(milliseconds: 3_600_000))
            return { .channel(try await service.openChannel(request, by: agent, idempotencyKey: nil).value.id) }
        case 42..<50:
            guard let id = pick(state.channels) else { return { .none } }
            let step = UInt64.random(in: 1...500, using: &random)
            let choice = Int.random(in: 0..<10, using: &random)
            return {
                let channel = try await service.channel(id, by: op)
                switch choice {
                case 0..<6:
                    let voucher = ChannelVoucher(
                        channel: id, cumulativeAmount: try Amount(units: channel.settled.units + step),
                        sequence: channel.sequence + 1)
                    _ = try await service.act(
                        onChannel: id, .settle,
                        body: try JSONValue(encoding: SignedVoucher(voucher, key: TestKeys.secretKey("agent"))),
                        by: provider, idempotencyKey: nil)
                case 6..<8:
                    _ = try await service.act(
                        onChannel: id, .topup,
                        body: try JSONValue(encoding: TopUpRequest(amount: try Amount(units: step))),
                        by: agent, idempotencyKey: nil)
                default:
                    _ = try await service.act(onChannel: id, .close, by: agent, idempotencyKey: nil)
                }
                return .none
            }
        case 50..<54:
            let request = CreateMandateRequest(
                agent: world.agent.id, asset: usdc, amount: try Amount(units: amount * 20),
                perTxCap: try Amount(units: 5_000), dailyCap: try Amount(units: 40_000),
                allowedCounterparties: [world.provider.id], expiresAt: clock.now.adding(milliseconds: 86_400_000))
            return { .mandate(try await service.createMandate(request, by: agent, idempotencyKey: nil).value.id) }
        case 54..<66:
            let mandate = pick(state.mandates)
            let position = pick(state.positions)
            let fast = Bool.random(using: &random)
            return {
                if fast, let position {
                    return .reservation(try await world.verifyFast(position, amount: amount % 5_000 + 1))
                }
                guard let mandate else { return .none }
                return .reservation(try await world.verify(mandate, amount: amount % 5_000 + 1))
            }
        case 66..<76:
            guard let verified = pick(state.reservations) else { return { .none } }
            return {
                _ = try await world.settle(verified)
                return .none
            }
        case 76..<79:
            guard let id = pick(state.mandates) else { return { .none } }
            let change: MandateCommand =
                Int.random(in: 0..<4, using: &random) == 0 ? .revoke : .topUp(try Amount(units: amount))
            return {
                _ = try await service.changeMandate(id, change, by: agent, idempotencyKey: nil)
                return .none
            }
        case 79..<82:
            let request = OpenPositionRequest(
                agent: world.agent.id, collateralAsset: sol, collateral: try Amount(units: 20_000_000_000),
                asset: usdc, singlePaymentCap: try Amount(units: 5_000))
            return { .position(try await service.openPosition(request, by: agent, idempotencyKey: nil).value.id) }
        case 82..<85:
            let price = UInt64.random(in: 300...1_500, using: &random)
            let position = pick(state.positions)
            let liquidate = Int.random(in: 0..<3, using: &random) == 0
            return {
                _ = try await service.postPrice(
                    PostPriceRequest(base: sol, quote: usdc, price: price), by: op, idempotencyKey: nil)
                if let position {
                    let current = try await service.position(position, by: op)
                    if liquidate && current.state == .frozen {
                        _ = try await service.actOnPosition(
                            position, .liquidate, amount: nil, by: op, idempotencyKey: nil)
                    } else if current.debt.units > 0 {
                        _ = try await service.actOnPosition(
                            position, .repay, amount: try Amount(units: min(current.debt.units, 1_000)), by: agent,
                            idempotencyKey: nil)
                    }
                }
                return .none
            }
        case 85..<89:
            let request = PayRequest(
                payee: world.provider.id, amount: try Amount(units: amount), asset: usdc,
                paymentId: "diff-\(round)-\(UInt64.random(in: 0...UInt64.max, using: &random))")
            return {
                _ = try await service.pay(request, by: agent, idempotencyKey: nil)
                return .none
            }
        case 89..<93:
            state.nonce &+= 1
            let scheme: KuraScheme = Bool.random(using: &random) ? .exact : .escrow
            let request = try x402Payment(
                world: world, scheme: scheme, amount: amount, nonce: state.nonce, round: round)
            return {
                let answer = try await service.x402Settle(request)
                if answer.success, scheme == .escrow, let id = EscrowID(answer.transaction) { return .escrow(id) }
                return .none
            }
        case 93..<95:
            let deposit = Bool.random(using: &random)
            let request = FundsRequest(asset: usdc, amount: try Amount(units: amount * 3))
            return {
                if deposit {
                    _ = try await service.deposit(request, to: world.stranger.id, by: op, idempotencyKey: nil)
                } else {
                    _ = try await service.withdraw(request, from: world.stranger.id, by: op, idempotencyKey: nil)
                }
                return .none
            }
        case 95..<97:
            let suspend = Bool.random(using: &random)
            return {
                _ = try await service.changeStatus(
                    of: world.stranger.id, suspend ? .suspend : .reactivate, by: op, idempotencyKey: nil)
                return .none
            }
        default:
            let step = Int64.random(in: 1_000...400_000, using: &random)
            return {
                _ = clock.advance(by: step)
                _ = try await service.sweep()
                return .none
            }
        }
    }

    /// An x402 payment by the agent to the provider, signed with the agent's test key, valid for 50 s.
    static func x402Payment(world: FacilitatorWorld, scheme: KuraScheme, amount: UInt64, nonce: UInt8, round: Int)
        throws -> FacilitatorRequest
    {
        let requirements = PaymentRequirements(
            scheme: scheme.rawValue, network: world.service.x402Network.id, amount: X402Amount(units: amount)!,
            asset: "USDC", payTo: world.provider.id.rawValue, maxTimeoutSeconds: 60,
            extra: scheme == .escrow
                ? EscrowTermsExtra(deliverWithinSeconds: 300, confirmWindowSeconds: 3_600, disputeWindowSeconds: 600)
                    .extra : nil)
        let now = UInt64(world.clock.now.milliseconds / 1000)
        var bytes = [UInt8](repeating: nonce, count: 32)
        bytes[0] = UInt8(truncatingIfNeeded: round)
        let payload = try KuraScheme.pay(
            requirements, resource: ResourceInfo(url: "https://provider.example/v1/x", mimeType: "application/json"),
            payer: world.agent.id.rawValue, key: TestKeys.secretKey("agent"), nonce: bytes,
            validAfter: EpochSeconds(now - 5)!, validBefore: EpochSeconds(now + 50)!)
        return FacilitatorRequest(paymentPayload: payload, paymentRequirements: requirements)
    }
}
