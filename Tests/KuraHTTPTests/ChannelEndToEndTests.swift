import AsyncHTTPClient
import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@testable import KuraClient

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

    func startProvider(_ w: World, flushMs: Int = 50, settleEveryCalls: Int = 100_000, kura: String? = nil)
        async throws -> ServerProcess
    {
        try await ServerProcess.launch(
            try KuraBinary.sibling("kura-example-provider"),
            [
                "--kura", kura ?? w.kura.url, "--api-key", w.provider.apiKey, "--provider", w.provider.id.rawValue,
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
        let unpaid = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: quote), timeout: HTTPFixture.requestTimeout)
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
            let response = try await HTTPClient.shared.execute(request, timeout: HTTPFixture.requestTimeout)
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

    /// Review finding: the payer took a voucher back only on a 402, so every call the provider's gate could not
    /// check (503: its Kura unreachable, the voucher recorded nowhere) stayed counted, and the next voucher the
    /// provider accepted paid for all of them.
    @Test("calls the provider's gate could not check (503) are not paid for by the next voucher")
    func uncheckedCallsNotPaid() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        // A Kura that answers every call 503: the gate cannot load the channel the payer opens.
        let unavailable = try await ServerProcess.launch(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.answersUnavailable], name: "unavailable",
            in: w.dir)
        let provider = try await startProvider(w, kura: unavailable.url)
        let payer = try payer(w)
        for _ in 1...2 {
            let answer = try await payer.call("\(provider.url)/v1/quote", price: try Amount(units: 7))
            #expect(answer.status == 503, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        let next = try await payer.nextVoucher(price: try Amount(units: 7))
        #expect(next.voucher.cumulativeAmount.units == 7, "one call's worth, not three")
        #expect(try await provider.terminate() == 0)
        _ = try await unavailable.terminate()
        #expect(try await w.kura.terminate() == 0)
    }

    /// An HTTP server that answers every request `503` at once (a Kura that is down behind a proxy).
    static let answersUnavailable = """
        import http.server
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_POST = do_GET
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
        server.serve_forever()
        """

    /// The same review: a 402 of the paid route itself, after the gate accepted the voucher, was taken back too, so
    /// every later voucher was stale and the payer could not call again.
    @Test("the payer takes back exactly what the gate refused: 402 or its 503 with terms, never an accepted voucher")
    func refusalRule() {
        func answer(_ status: Int, _ headers: [(String, String)]) -> ChannelPayer.Answer {
            ChannelPayer.Answer(status: status, headers: .init(headers), body: [], voucher: nil)
        }
        let terms = [(SignedVoucher.priceHeaderName, "7")]
        let accepted = [(SignedVoucher.acceptedHeaderName, "14")]
        #expect(ChannelPayer.refusedByTheGate(answer(402, terms)))
        #expect(ChannelPayer.refusedByTheGate(answer(402, [])))
        #expect(ChannelPayer.refusedByTheGate(answer(503, terms)))
        #expect(!ChannelPayer.refusedByTheGate(answer(402, accepted)), "the route's own 402 after payment")
        #expect(!ChannelPayer.refusedByTheGate(answer(503, accepted)))
        #expect(!ChannelPayer.refusedByTheGate(answer(502, [])), "a proxy's answer: unknown, stays counted")
        #expect(!ChannelPayer.refusedByTheGate(answer(200, accepted)))
    }
}
