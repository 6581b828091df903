import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraProvider
import KuraTesting
import Logging
import Testing

/// Found while fixing issue 14: a provider restarted on its journal while Kura is unreachable loses the
/// vouchers it recovered. `recover()` tried each recovered channel once; a channel it could not load was
/// never tried again, and unless the agent happened to call again, nothing settled it: the agent could let
/// the channel close and take back money for calls it had been served.
@Suite("recovered vouchers survive Kura being down when the provider restarts", .serialized)
struct ChannelRecoveryTests {
    let e2e = ChannelEndToEndTests()

    func gate(_ w: ChannelEndToEndTests.World, kura url: String) throws -> ChannelVoucherGate {
        var configuration = ChannelVoucherGate.Configuration(
            provider: w.provider.id, asset: try Asset("USDC"), journalPath: w.dir.path("gate.journal"))
        configuration.settleEveryMs = 600_000
        return try ChannelVoucherGate(
            configuration: configuration,
            client: KuraClient(baseURL: url, apiKey: w.provider.apiKey, maxAttempts: 1, timeout: .seconds(2)),
            logger: Logger.quiet("gate"))
    }

    @Test("a recovered voucher whose channel could not be loaded at start is settled once Kura is back")
    func recoveredAfterOutage() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let agent = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let channel = try await agent.openChannel(
            OpenChannelRequest(
                provider: w.provider.id, asset: try Asset("USDC"), amount: try Amount(units: 5_000),
                challengePeriodMs: 3_600_000, expiresAt: now.adding(milliseconds: 86_400_000)))
        // Three calls served and journaled (flushed, as after a flush window); then the provider crashes.
        let first = try gate(w, kura: w.kura.url)
        for n in 1...3 as ClosedRange<UInt64> {
            let voucher = try SignedVoucher(
                ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: 7 * n), sequence: n),
                key: TestKeys.secretKey("agent"))
            _ = try await first.accept(headerValue: try voucher.headerValue(), price: try Amount(units: 7))
        }
        try await first.flush()

        // Kura goes down; the provider restarts on its journal and cannot load the channel.
        let port = try #require(URL(string: w.kura.url)?.port)
        #expect(try await w.kura.terminate() == 0)
        let second = try gate(w, kura: w.kura.url)
        await second.recover()

        // Kura is back on the same address; the provider's schedule runs.
        let kura = try await ServerProcess.launch(
            try KuraBinary.require(),
            ["serve", "--db", w.dir.path("c.sqlite"), "--port", "\(port)", "--log-level", "warning"], name: "serve2",
            in: w.dir)
        var settled: UInt64 = 0
        for _ in 0..<20 where settled == 0 {
            await second.tick()
            settled = try await agent.channel(channel.id).settled.units
            if settled == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(settled == 21, "the three served calls are paid")
        #expect(try await kura.terminate() == 0)
    }
}
