import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraProvider
import KuraTesting
import Logging
import Testing

/// Issue 14, finding 2: a channel whose challenge period or lifetime is shorter than the provider's
/// settlement schedule lets the agent close and take the deposit back before the provider settles. Kura
/// refuses such terms at open; the provider's gate refuses channels whose terms do not leave its schedule
/// room, and settles at once when it learns that a channel is closing.
@Suite("channel challenge periods against the settlement schedule", .serialized)
struct ChannelChallengeTests {
    static let price = try! Amount(units: 7)
    let e2e = ChannelEndToEndTests()

    @Test("POST /v1/channels with challengePeriodMs 1 is 400 invalid_request, and writes nothing")
    func kuraRefusesOneMillisecond() async throws {
        let fixture = try await HTTPFixture(label: "challenge")
        try await fixture.test { api in
            let agent = try await api.register("agent", roles: ["agent"])
            let provider = try await api.register("provider", roles: ["provider"])
            try await api.deposit(agent.id, 10_000)
            let before = try await fixture.seq()
            let answer = try await api.send(
                .post, "/v1/channels", as: .bearer(agent.apiKey),
                json: [
                    "provider": .string(provider.id.rawValue), "asset": "USDC", "amount": 1_000,
                    "challengePeriodMs": 1,
                    "expiresAt": .number(Double(fixture.clock.now.milliseconds + 86_400_000)),
                ])
            #expect(answer.status == .badRequest && answer.code == "invalid_request", "\(answer)")
            #expect(try await fixture.seq() == before)
        }
    }

    /// A gate settling every ten minutes: by default it wants 30 minutes of challenge period and of lifetime.
    func gate(_ w: ChannelEndToEndTests.World) throws -> ChannelVoucherGate {
        var configuration = ChannelVoucherGate.Configuration(
            provider: w.provider.id, asset: try Asset("USDC"), journalPath: w.dir.path("gate.journal"))
        configuration.settleEveryMs = 600_000
        return try ChannelVoucherGate(
            configuration: configuration, client: KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey),
            logger: Logger.quiet("gate"))
    }

    func open(_ w: ChannelEndToEndTests.World, challengeMs: Int64, lifetimeMs: Int64) async throws -> Channel {
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        return try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).openChannel(
            OpenChannelRequest(
                provider: w.provider.id, asset: try Asset("USDC"), amount: try Amount(units: 5_000),
                challengePeriodMs: challengeMs, expiresAt: now.adding(milliseconds: lifetimeMs)))
    }

    func header(_ channel: Channel, _ cumulative: UInt64, _ sequence: UInt64) throws -> String {
        try SignedVoucher(
            ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: cumulative), sequence: sequence),
            key: TestKeys.secretKey("agent")
        ).headerValue()
    }

    func refusal(_ gate: ChannelVoucherGate, _ header: String) async -> KuraError? {
        do {
            _ = try await gate.accept(headerValue: header, price: Self.price)
            return nil
        } catch { return error }
    }

    @Test("the gate refuses a channel whose challenge period or lifetime is below three settlement intervals")
    func gateRefusesShortTerms() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let gate = try gate(w)
        // Kura accepts ten minutes of challenge; a provider settling every ten minutes must not.
        let shortChallenge = try await open(w, challengeMs: 600_000, lifetimeMs: 86_400_000)
        #expect(await refusal(gate, try header(shortChallenge, 7, 1))?.code.rawValue == "channel_terms_refused")
        // Nor a channel that expires in eleven minutes.
        let shortLife = try await open(w, challengeMs: 3_600_000, lifetimeMs: 660_000)
        #expect(await refusal(gate, try header(shortLife, 7, 1))?.code.rawValue == "channel_terms_refused")
        // Terms with room for the schedule are served.
        let fine = try await open(w, challengeMs: 3_600_000, lifetimeMs: 86_400_000)
        #expect(await refusal(gate, try header(fine, 7, 1)) == nil)
        #expect(try await w.kura.terminate() == 0)
    }

    @Test("when the gate learns that a channel is closing it settles at once, not at the next scheduled time")
    func gateSettlesOnClosing() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let gate = try gate(w)
        let agent = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let channel = try await open(w, challengeMs: 3_600_000, lifetimeMs: 86_400_000)
        #expect(await refusal(gate, try header(channel, 7, 1)) == nil)
        #expect(await refusal(gate, try header(channel, 14, 2)) == nil)
        // The agent starts a close; its next voucher asks for more than the gate knows the channel holds, so
        // the gate fetches the channel and sees it closing.
        #expect(try await agent.perform(KuraAPI.closeChannel, at: channel.id, CloseChannelRequest()).state == .closing)
        #expect(await refusal(gate, try header(channel, 5_001, 3))?.code == .channelClosed)
        // Settled then and there: the schedule (every ten minutes) would have been too late for a short period.
        let after = try await agent.channel(channel.id)
        #expect(after.settled.units == 14 && after.sequence == 2)
        #expect(try await w.kura.terminate() == 0)
    }

    /// An adversarial review's finding: the gate learned a channel's state only from a fetch it made for another
    /// reason (a voucher above the capacity it knew, a settlement of something pending), so a channel idle in the
    /// gate stayed open there after its agent closed it; once the challenge period ended and the deposit went back,
    /// calls with vouchers within the capacity were still served, unpaid. The gate now asks Kura again before it
    /// admits a voucher when what it knows is older than the challenge floor less one settlement interval.
    @Test("a channel the gate has not heard of for a while is asked about again before a voucher is admitted")
    func idleChannelAskedAgain() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        var configuration = ChannelVoucherGate.Configuration(
            provider: w.provider.id, asset: try Asset("USDC"), journalPath: w.dir.path("gate.journal"))
        configuration.settleEveryMs = 100
        configuration.flushIntervalMs = 10
        configuration.minChallengePeriodMs = 1_000
        configuration.minRemainingLifetimeMs = 1_000
        let gate = try ChannelVoucherGate(
            configuration: configuration, client: KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey),
            logger: Logger.quiet("gate"))
        let agent = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let channel = try await open(w, challengeMs: 3_600_000, lifetimeMs: 86_400_000)
        #expect(await refusal(gate, try header(channel, 7, 1)) == nil)
        #expect(await gate.settleDue(all: true) == 1)
        #expect(try await agent.perform(KuraAPI.closeChannel, at: channel.id, CloseChannelRequest()).state == .closing)
        try await Task.sleep(for: .milliseconds(1_000))
        #expect(await refusal(gate, try header(channel, 14, 2))?.code == .channelClosed)
        #expect(try await w.kura.terminate() == 0)
    }
}
