import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import KuraX402
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The crash campaign of issue 14: a real `kura serve` under mixed load (escrows, disputes, the facilitator's
/// verify/settle, channels, x402 settlements) is killed with SIGKILL again and again. After every kill:
/// every acknowledged answer is in the file, `kura log verify` passes, the ledger sums to zero, and the
/// projections equal a replay of the log. CI runs 2 kills; `scripts/crash-campaign.sh` runs 10
/// (`KURA_CRASH_KILLS`).
@Suite("crash campaign", .serialized)
struct CrashCampaignTests {
    /// What the clients were told, by kind.
    final class Acknowledged: Sendable {
        /// Escrow → the last state an answer reported.
        let escrows = Mutex<[EscrowID: Escrow.State]>([:])
        /// Facilitator reservation → settlement signature.
        let settlements = Mutex<[ReservationID: String]>([:])
        /// Channel → the cumulative amount of the last acknowledged settlement.
        let channels = Mutex<[ChannelID: UInt64]>([:])
        /// x402 settle bodies with the transaction each was answered.
        let x402 = Mutex<[(body: FacilitatorRequest, transaction: String)]>([])
        /// x402 settlements refused while the server ran (none are expected).
        let x402Refusals = Mutex<[String]>([])

        var count: Int {
            escrows.withLock { $0.count } + settlements.withLock { $0.count } + channels.withLock { $0.count }
                + x402.withLock { $0.count }
        }
    }

    struct World: Sendable {
        let operatorKey: String
        let agent: (id: PartyID, key: String)
        let provider: (id: PartyID, key: String)
        let mandate: MandateID
    }

    static let usdc = try! Asset("USDC")

    static var kills: Int { Int(ProcessInfo.processInfo.environment["KURA_CRASH_KILLS"] ?? "") ?? 2 }

    @Test("SIGKILL during mixed load, again and again: nothing acknowledged is lost and every check holds")
    func campaign() async throws {
        let binary = try KuraBinary.require()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("campaign.sqlite")
        let initialised = try await runKura(["init", "--db", db, "--json"], in: dir)
        try #require(initialised.status == 0, "\(initialised)")
        let operatorKey = try #require(try JSONValue.parse(initialised.stdout)["operatorApiKey"]?.stringValue)

        var server = try await FacilitatorCrashTests.serve(binary, db: db, dir: dir, label: "setup")
        let world = try await Self.setUp(url: server.url, operatorKey: operatorKey)
        let acks = Acknowledged()
        var report: [String] = []
        for round in 1...Self.kills {
            if round > 1 {
                server = try await FacilitatorCrashTests.serve(binary, db: db, dir: dir, label: "r\(round)")
            }
            let before = acks.count
            let current = server
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<10 {
                    group.addTask { await Self.load(worker: worker, url: current.url, world: world, acks: acks) }
                }
                // Kill at a point that varies from round to round.
                let target = before + 40 + 17 * (round % 4)
                let deadline = ContinuousClock.now + .seconds(30)
                while acks.count < target && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                current.child.send(SIGKILL)
                _ = await current.child.wait()
                try await group.waitForAll()
            }
            #expect(acks.count > before, "round \(round) acknowledged nothing")
            #expect(acks.x402Refusals.withLock { $0 }.isEmpty, "x402 refusals: \(acks.x402Refusals.withLock { $0 })")
            report.append("round \(round): \(acks.count - before) acknowledged")
            try await Self.check(db: db, dir: dir, acks: acks, round: round)
        }

        // Repeat acknowledged x402 settlements against a restarted server: each answers its first settlement.
        let last = try await FacilitatorCrashTests.serve(binary, db: db, dir: dir, label: "last")
        let anonymous = KuraClient(baseURL: last.url, apiKey: nil, maxAttempts: 1, timeout: .seconds(5))
        for (body, transaction) in acks.x402.withLock({ Array($0.suffix(20)) }) {
            let again = try await anonymous.x402Settle(body, repeats: .answer)
            #expect(again.success && again.transaction == transaction)
        }
        last.child.send(SIGTERM)
        _ = await last.child.wait()
        let states = acks.escrows.withLock { Dictionary(grouping: $0.values, by: \.rawValue).mapValues(\.count) }
        print(
            "crash campaign: \(Self.kills) kills; " + report.joined(separator: "; ")
                + "; escrows by acknowledged state \(states.sorted { $0.key < $1.key }), facilitator settlements "
                + "\(acks.settlements.withLock { $0.count }), channels \(acks.channels.withLock { $0.count }) (settled up to "
                + "\(acks.channels.withLock { $0.values.max() ?? 0 })), x402 settlements \(acks.x402.withLock { $0.count })"
        )
    }

    /// Parties, money, an arbiter, a mandate.
    static func setUp(url: String, operatorKey: String) async throws -> World {
        let admin = KuraClient(baseURL: url, apiKey: operatorKey, maxAttempts: 1)
        let agent = try await admin.registerParty(
            RegisterPartyRequest(
                name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64))
        let provider = try await admin.registerParty(
            RegisterPartyRequest(name: "provider", roles: [.provider], publicKey: TestKeys.publicKey("provider").base64)
        )
        _ = try await admin.registerParty(
            RegisterPartyRequest(name: "arbiter", roles: [.arbiter], publicKey: TestKeys.publicKey("arbiter").base64))
        _ = try await admin.deposit(
            FundsRequest(asset: usdc, amount: try Amount(units: 1_000_000_000)), to: agent.party.id)
        let agentClient = KuraClient(baseURL: url, apiKey: agent.apiKey!, maxAttempts: 1)
        let mandate = try await agentClient.createMandate(
            CreateMandateRequest(
                agent: agent.party.id, asset: usdc, amount: try Amount(units: 100_000_000),
                perTxCap: try Amount(units: 100), dailyCap: try Amount(units: 100_000_000), allowedCounterparties: [],
                expiresAt: Timestamp(milliseconds: Self.nowMs + 24 * 3_600_000)))
        return World(
            operatorKey: operatorKey, agent: (agent.party.id, agent.apiKey!),
            provider: (provider.party.id, provider.apiKey!),
            mandate: mandate.id)
    }

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// One client's loop, by kind, until the server stops answering.
    static func load(worker: Int, url: String, world: World, acks: Acknowledged) async {
        let agent = KuraClient(baseURL: url, apiKey: world.agent.key, maxAttempts: 1, timeout: .seconds(3))
        let provider = KuraClient(baseURL: url, apiKey: world.provider.key, maxAttempts: 1, timeout: .seconds(3))
        do {
            switch worker % 5 {
            case 0, 1:  // escrow: lock, deliver, confirm; every other one disputed instead
                var n = 0
                while true {
                    n += 1
                    let escrow = try await agent.openEscrow(
                        OpenEscrowRequest(
                            payee: world.provider.id, amount: try Amount(units: 50), asset: usdc,
                            deliverBy: Timestamp(milliseconds: nowMs + 3_600_000)))
                    acks.escrows.withLock { $0[escrow.id] = escrow.state }
                    let evidence = DeliverRequest(evidence: Hex.encode(SHA256.hash(Array("w\(worker)-\(n)".utf8))))
                    let delivered = try await provider.perform(KuraAPI.deliverEscrow, at: escrow.id, evidence)
                    acks.escrows.withLock { $0[escrow.id] = delivered.state }
                    let ended: Escrow
                    if worker == 1 {
                        ended = try await agent.perform(
                            KuraAPI.disputeEscrow, at: escrow.id,
                            DisputeRequest(reason: "late", evidence: [Hex.encode(SHA256.hash(Array("d\(n)".utf8)))]))
                    } else {
                        ended = try await agent.perform(KuraAPI.confirmEscrow, at: escrow.id, EmptyRequest())
                    }
                    acks.escrows.withLock { $0[escrow.id] = ended.state }
                }
            case 2:  // the facilitator's enterprise lane
                let request = ReservationVerifyRequest(
                    amount: try Amount(units: 10), lane: .enterprise, mandate: world.mandate, agent: world.agent.id,
                    counterparty: world.provider.id)
                while true {
                    let verified = try await agent.verify(request)
                    let answer = try await provider.settle(verified.reservationId, envelope: verified.envelope)
                    acks.settlements.withLock { $0[verified.reservationId] = answer.txSignature }
                }
            case 3:  // a channel, settled with ever larger vouchers
                let channel = try await agent.openChannel(
                    OpenChannelRequest(
                        provider: world.provider.id, asset: usdc, amount: try Amount(units: 1_000_000),
                        expiresAt: Timestamp(milliseconds: nowMs + 24 * 3_600_000)))
                var sequence: UInt64 = 0
                while true {
                    sequence += 1
                    let voucher = try SignedVoucher(
                        ChannelVoucher(
                            channel: channel.id, cumulativeAmount: try Amount(units: 3 * sequence), sequence: sequence),
                        key: TestKeys.secretKey("agent"))
                    _ = try await provider.perform(KuraAPI.settleChannel, at: channel.id, voucher)
                    acks.channels.withLock { $0[channel.id] = 3 * sequence }
                }
            default:  // x402 `exact` payments through the standard facilitator route
                let anonymous = KuraClient(baseURL: url, apiKey: nil, maxAttempts: 1, timeout: .seconds(3))
                let network = try await anonymous.x402Supported().kinds[0].network
                var n: UInt8 = 0
                while true {
                    n &+= 1
                    let requirements = PaymentRequirements(
                        scheme: "exact", network: network, amount: X402Amount(units: 5)!, asset: "USDC",
                        payTo: world.provider.id.rawValue, maxTimeoutSeconds: 900)
                    let now = UInt64(nowMs / 1000)
                    let payload = try KuraScheme.pay(
                        requirements, resource: ResourceInfo(url: "https://provider.example/\(worker)/\(n)"),
                        payer: world.agent.id.rawValue, key: TestKeys.secretKey("agent"),
                        nonce: (0..<32).map { _ in UInt8.random(in: 0...255) }, validAfter: EpochSeconds(now - 5)!,
                        validBefore: EpochSeconds(now + 600)!)
                    let body = FacilitatorRequest(paymentPayload: payload, paymentRequirements: requirements)
                    let answer = try await anonymous.x402Settle(body, repeats: .answer)
                    guard answer.success else {
                        acks.x402Refusals.withLock {
                            $0.append("\(answer.errorReason.map { "\($0)" } ?? "?"): \(answer.errorMessage ?? "")")
                        }
                        return
                    }
                    acks.x402.withLock { $0.append((body, answer.transaction)) }
                }
            }
        } catch {
            // The server was killed (or refused): this worker's round is over.
        }
    }

    /// The states an escrow may be in after an answer reported the key's state (the load moves escrows on).
    static let successors: [Escrow.State: Set<Escrow.State>] = [
        .locked: [.locked, .delivered, .released, .disputed, .resolved],
        .delivered: [.delivered, .released, .disputed, .resolved],
        .released: [.released], .disputed: [.disputed, .resolved],
    ]

    /// The checks after a kill, on the file as the next process finds it.
    static func check(db: String, dir: TemporaryDirectory, acks: Acknowledged, round: Int) async throws {
        let verified = try await runKura(["log", "verify", "--db", db], in: dir)
        #expect(verified.status == 0, "round \(round): kura log verify: \(verified)")
        let store = try KuraService.openStore(path: db, create: false)
        defer { store.close() }
        let service = KuraService(
            store: store, signer: TestKeys.serviceSigner, clock: .fixed(Timestamp(milliseconds: 0)),
            logger: Logger.quiet("campaign"))
        #expect(try await service.ledgerViolations() == [], "round \(round)")
        let operatorPrincipal = Principal(party: try #require(try await service.firstOperator()))

        for (id, acknowledged) in acks.escrows.withLock({ $0 }) {
            let stored = try? await service.escrow(id, by: operatorPrincipal)
            #expect(
                stored.map { successors[acknowledged]?.contains($0.state) ?? false } == true,
                "round \(round): escrow \(id) acknowledged \(acknowledged), stored \(String(describing: stored?.state))"
            )
        }
        let reservations: [String: (String, String?)] = try {
            let raw = try SQLiteConnection(path: db, create: false, readOnly: true)
            let statement = try raw.statement("SELECT id, state, settlement FROM reservations")
            try statement.bind([])
            var rows: [String: (String, String?)] = [:]
            while try statement.step() {
                let settlement: String? = if case .text(let t) = statement.value(2) { t } else { nil }
                rows[statement.text(0)] = (statement.text(1), settlement)
            }
            return rows
        }()
        for (id, signature) in acks.settlements.withLock({ $0 }) {
            let row = reservations[id.rawValue]
            #expect(row?.0 == "settled" && row?.1?.contains(signature) == true, "round \(round): reservation \(id)")
        }
        for (id, cumulative) in acks.channels.withLock({ $0 }) {
            let channel = try? await service.channel(id, by: operatorPrincipal)
            #expect((channel?.settled.units ?? 0) >= cumulative, "round \(round): channel \(id)")
        }
        // Projections equal a replay of the log (replay rebuilds them and compares digests).
        let replay = try await service.replay()
        #expect(replay.before == replay.after, "round \(round): projections differ from a replay")
    }
}
