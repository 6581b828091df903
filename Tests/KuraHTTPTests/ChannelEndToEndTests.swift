import AsyncHTTPClient
import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 end to end: `kura serve`, the example provider with the channel-voucher middleware, and the
/// Swift ChannelPayer, each its own process or client on loopback.
@Suite("channels end to end", .serialized)
struct ChannelEndToEndTests {
    struct World {
        let dir: TemporaryDirectory
        let kura: ServerProcess
        let agent: (id: PartyID, apiKey: String)
        let provider: (id: PartyID, apiKey: String)
    }

    func world() async throws -> World {
        let dir = try TemporaryDirectory()
        let kura = try await ServerProcess.start(database: dir.path("c.sqlite"), in: dir)
        let operatorKey = try String(contentsOfFile: dir.path("c.sqlite.operator-key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = KuraClient(baseURL: kura.url, apiKey: operatorKey)
        func register(_ name: String, _ role: Party.Role) async throws -> (PartyID, String) {
            let registration = try await admin.registerParty(
                RegisterPartyRequest(name: name, roles: [role], publicKey: TestKeys.publicKey(name).base64))
            return (registration.party.id, try #require(registration.apiKey))
        }
        let agent = try await register("agent", .agent)
        let provider = try await register("provider", .provider)
        _ = try await admin.deposit(
            FundsRequest(asset: try Asset("USDC"), amount: try Amount(units: 1_000_000)), to: agent.0)
        return World(dir: dir, kura: kura, agent: agent, provider: provider)
    }

    func startProvider(_ w: World, flushMs: Int = 50, settleEveryCalls: Int = 100_000) async throws -> ServerProcess {
        try await ServerProcess.launch(
            try KuraBinary.sibling("kura-example-provider"),
            [
                "--kura", w.kura.url, "--api-key", w.provider.apiKey, "--provider", w.provider.id.rawValue,
                "--asset", "USDC", "--price", "7", "--journal", w.dir.path("provider.journal"), "--port", "0",
                "--flush-interval-ms", "\(flushMs)", "--settle-every-calls", "\(settleEveryCalls)",
                "--settle-every-ms", "600000",
            ], name: "provider", in: w.dir)
    }

    func payer(_ w: World) throws -> ChannelPayer {
        ChannelPayer(
            configuration: .init(
                provider: w.provider.id, asset: try Asset("USDC"), deposit: try Amount(units: 5_000),
                topUpBelow: try Amount(units: 100), topUpAmount: try Amount(units: 5_000)),
            kura: KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey), key: TestKeys.secretKey("agent"))
    }

    @Test("a thousand paid calls, one settlement at shutdown: exactly the sum; unpaid and forged calls refused")
    func thousandCalls() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let provider = try await startProvider(w)
        let payer = try payer(w)
        let quote = "\(provider.url)/v1/quote"
        for call in 1...1000 {
            let answer = try await payer.call(quote, price: try Amount(units: 7))
            try #require(
                answer.status == 200, "call \(call): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        // Unpaid: 402 with the terms.
        let unpaid = try await HTTPClient.shared.execute(HTTPClientRequest(url: quote), timeout: .seconds(10))
        #expect(unpaid.status.code == 402 && unpaid.headers.first(name: "Kura-Channel-Price") == "7")
        // A replayed voucher, a forged one and a malformed header: 402 with their codes.
        let channel = try #require(await payer.channel)
        let replayed = try SignedVoucher(
            ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: 7_000), sequence: 1000),
            key: TestKeys.secretKey("agent"))
        let forged = try SignedVoucher(
            ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: 9_000), sequence: 5000),
            key: TestKeys.secretKey("provider"))
        for (value, code) in [
            (try replayed.headerValue(), "voucher_stale"), (try forged.headerValue(), "voucher_invalid"),
            ("%%%", "voucher_invalid"),
        ] {
            var request = HTTPClientRequest(url: quote)
            request.headers.add(name: "Kura-Channel-Voucher", value: value)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            let problem = try JSONValue.parse(Array(body.readableBytesView))
            #expect(response.status.code == 402 && problem["code"]?.stringValue == code, "\(code)")
        }
        // Nothing settled yet (one settlement for many calls); a graceful stop settles once.
        let kura = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        #expect(try await kura.channel(channel.id).settled.units == 0)
        #expect(try await provider.terminate() == 0)
        let settled = try await kura.channel(channel.id)
        #expect(settled.settled.units == 7_000 && settled.sequence == 1000)
        // 1000 calls × 7 = 7000 across top-ups: capacity grew from 5000.
        #expect(settled.capacity.units >= 7_000)
        let receipts = try await kura.receipts(party: nil, kind: "channel.settled", cursor: nil, limit: 10)
        #expect(receipts.items.count == 1 && receipts.items.first?.amount.units == 7_000)
        let providerBalance = try await KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey).account(
            w.provider.id)
        #expect(providerBalance.balances.first?.available == 7_000 - 7)  // 10 bps settlement fee
        #expect(try await w.kura.terminate() == 0)
    }

    @Test("a provider killed mid-stream loses at most the calls of its last flush window")
    func providerCrash() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let provider = try await startProvider(w, flushMs: 50)
        let payer = try payer(w)
        let quote = "\(provider.url)/v1/quote"
        for _ in 1...100 { _ = try await payer.call(quote, price: try Amount(units: 7)) }
        try await Task.sleep(for: .milliseconds(500))  // ten flush windows: the first 100 calls are durable
        for _ in 1...20 { _ = try await payer.call(quote, price: try Amount(units: 7)) }
        provider.child.send(SIGKILL)
        _ = await provider.child.wait()
        // A new provider process recovers the journal and settles what it holds.
        let again = try await startProvider(w, flushMs: 50)
        let kura = KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey)
        let channel = try #require(await payer.channel)
        var settled: UInt64 = 0
        for _ in 0..<100 where settled == 0 {
            try await Task.sleep(for: .milliseconds(50))
            settled = try await kura.channel(channel.id).settled.units
        }
        #expect(settled >= 700 && settled <= 840, "settled \(settled)")
        #expect(try await again.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}
