import Foundation
import Hummingbird
import HummingbirdTesting
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

    /// A channel of 5,000 units from the agent to the provider: an hour to answer a close, a day to live.
    func openChannel(_ agent: KuraClient, to w: ChannelEndToEndTests.World) async throws -> Channel {
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        return try await agent.openChannel(
            OpenChannelRequest(
                provider: w.provider.id, asset: try Asset("USDC"), amount: try Amount(units: 5_000),
                challengePeriodMs: 3_600_000, expiresAt: now.adding(milliseconds: 86_400_000)))
    }

    @Test("a recovered voucher whose channel could not be loaded at start is settled once Kura is back")
    func recoveredAfterOutage() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let agent = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let channel = try await openChannel(agent, to: w)
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

    /// An adversarial review's finding: `ChannelSettler` flushed the journal only at the start of each tick, and a
    /// tick waits for its settlements; with Kura hanging, the gate kept serving calls whose vouchers stayed in
    /// memory, for as long as a settlement took (up to four attempts of 30 s), and a crash then lost them all. The
    /// journal is now flushed on its own schedule.
    @Test("vouchers are made durable on schedule while a settlement waits on a Kura that does not answer")
    func flushWhileKuraHangs() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let agent = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let channel = try await openChannel(agent, to: w)
        var configuration = ChannelVoucherGate.Configuration(
            provider: w.provider.id, asset: try Asset("USDC"), journalPath: w.dir.path("gate.journal"))
        configuration.settleEveryMs = 100
        configuration.flushIntervalMs = 20
        let gate = try ChannelVoucherGate(
            configuration: configuration,
            // The stalled settlement waits longer than the test looks: without its own schedule, the flush waits too.
            client: KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey, maxAttempts: 1, timeout: .seconds(120)),
            logger: Logger.quiet("gate"))
        func call(_ n: UInt64) async throws {
            let voucher = try SignedVoucher(
                ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: 7 * n), sequence: n),
                key: TestKeys.secretKey("agent"))
            _ = try await gate.accept(headerValue: try voucher.headerValue(), price: try Amount(units: 7))
        }
        try await call(1)
        // Kura stops answering (its connections are accepted, nothing comes back); the schedule runs, and its
        // settlement of the first call waits.
        w.kura.child.send(SIGSTOP)
        let settler = Task { try await ChannelSettler(gate: gate).run() }
        try await Task.sleep(for: .milliseconds(300))
        for n in 2...4 as ClosedRange<UInt64> { try await call(n) }
        // What a provider restarted now would recover from the journal; a loaded host may take a while to flush.
        var journaled: UInt64?
        for _ in 0..<240 where journaled != 4 {
            try await Task.sleep(for: .milliseconds(250))
            let restarted = try ChannelVoucherGate(
                configuration: configuration, client: KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey),
                logger: Logger.quiet("gate"))
            journaled = await restarted.best(channel.id)?.voucher.sequence
        }
        #expect(journaled == 4, "the journal holds \(String(describing: journaled))")
        w.kura.child.send(SIGCONT)
        settler.cancel()
        _ = try? await settler.value
        #expect(try await w.kura.terminate() == 0)
    }
}

extension ChannelRecoveryTests {
    /// A review finding: `ChannelPayer` subtracted what it had signed from the capacity Kura last reported, so an
    /// answer with less capacity than that (a faulty Kura, or a man in the middle of plain HTTP) crashed the
    /// agent's process at its next call. Such a channel is now refused `voucher_over_capacity`.
    @Test("a top-up answer with less capacity than the payer signed is refused, not a crash")
    func shrunkenCapacityRefused() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let real = try await openChannel(KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey), to: w)
        guard case .object(var members) = try JSONValue(encoding: real) else { throw TestFailure("no object") }
        let opened = try JSONValue.object(members).canonicalBytes()
        members["capacity"] = .number(0)
        let shrunk = try JSONValue.object(members).canonicalBytes()
        // A Kura that opens the channel, then answers every top-up with no capacity at all.
        let router = Router()
        router.post("/v1/channels") { _, _ in
            Response(
                status: .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: opened)))
        }
        router.post("/v1/channels/:id/topup") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: shrunk)))
        }
        try await Application(router: router).test(.live) { client in
            let payer = ChannelPayer(
                configuration: .init(
                    provider: w.provider.id, asset: try Asset("USDC"), deposit: try Amount(units: 5_000),
                    topUpBelow: try Amount(units: 4_990), topUpAmount: try Amount(units: 5_000)),
                kura: KuraClient(baseURL: "http://127.0.0.1:\(try #require(client.port))", apiKey: "k"),
                key: TestKeys.secretKey("agent"))
            _ = try await payer.nextVoucher(price: try Amount(units: 7))  // signed 7, then the top-up shrank it
            for _ in 1...2 {
                let refused = await #expect(throws: KuraClientError.self) {
                    try await payer.nextVoucher(price: try Amount(units: 7))
                }
                #expect(refused?.code == "voucher_over_capacity", "\(String(describing: refused))")
            }
        }
        #expect(try await w.kura.terminate() == 0)
    }
}
