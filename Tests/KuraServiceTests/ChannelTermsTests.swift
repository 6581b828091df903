import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Issue 14, finding 2: an agent that chooses a challenge period of 1 ms (or a channel that expires at once)
/// can close and take its deposit back before the provider's next scheduled settlement. Kura refuses such
/// terms at open: a challenge period and a lifetime of at least the configured minimums (5 and 10 minutes
/// by default, `ServiceConfiguration.channels`), and writes nothing when it refuses.
@Suite("channel terms: minimum challenge period and lifetime")
struct ChannelTermsTests {
    static let minute: Int64 = 60_000

    func open(_ world: EscrowWorld, challengeMs: Int64?, lifetimeMs: Int64 = 86_400_000) async throws -> Channel {
        let request = OpenChannelRequest(
            provider: world.payee.id, asset: usdc, amount: try Amount(units: 1_000), challengePeriodMs: challengeMs,
            expiresAt: world.db.clock.now.adding(milliseconds: lifetimeMs))
        return try await world.service.openChannel(request, by: world.db.principal(world.payer), idempotencyKey: nil)
            .value
    }

    @Test(
        "a challenge period or a lifetime below the minimum is invalid_request and writes nothing",
        arguments: [
            (1, 86_400_000), (1_000, 86_400_000), (5 * minute - 1, 86_400_000), (3_600_000, 1),
            (3_600_000, 10 * minute - 1),
        ] as [(Int64, Int64)])
    func refused(challengeMs: Int64, lifetimeMs: Int64) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let head = try await world.db.store.head()
        let error = await refusal { try await open(world, challengeMs: challengeMs, lifetimeMs: lifetimeMs) }
        #expect(error?.code == .invalidRequest, "challenge \(challengeMs) ms, lifetime \(lifetimeMs) ms")
        #expect(try await world.db.store.head() == head)
        #expect(try await world.balance(world.payer).available == 1_000_000)
    }

    @Test("the minimums themselves, and the default challenge period, are accepted")
    func accepted() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let shortest = try await open(world, challengeMs: 5 * Self.minute, lifetimeMs: 10 * Self.minute)
        #expect(shortest.challengePeriodMs == 300_000)
        #expect(try await open(world, challengeMs: nil).challengePeriodMs == 3_600_000)
    }

    @Test("the minimums are configuration: an operator may demand more")
    func configured() async throws {
        var configuration = ServiceConfiguration()
        configuration.channels.minChallengePeriodMs = 3_600_000
        configuration.channels.minLifetimeMs = 86_400_000
        let db = try await TestDatabase(configuration: configuration, label: "terms")
        defer { db.close() }
        let agent = try await db.register(name: "payer", roles: [.agent]).party
        let provider = try await db.register(name: "payee", roles: [.provider]).party
        _ = try await db.deposit(party: agent, amount: 10_000)
        func open(_ challengeMs: Int64, _ lifetimeMs: Int64) async -> KuraError? {
            await refusal {
                try await db.service.openChannel(
                    OpenChannelRequest(
                        provider: provider.id, asset: usdc, amount: try Amount(units: 100),
                        challengePeriodMs: challengeMs, expiresAt: db.clock.now.adding(milliseconds: lifetimeMs)),
                    by: db.principal(agent), idempotencyKey: nil)
            }
        }
        #expect(await open(3_599_999, 86_400_000)?.code == .invalidRequest)
        #expect(await open(3_600_000, 86_399_999)?.code == .invalidRequest)
        #expect(await open(3_600_000, 86_400_000) == nil)
    }
}
