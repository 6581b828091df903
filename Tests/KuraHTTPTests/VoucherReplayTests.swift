import AsyncHTTPClient
import Foundation
import HTTPTypes
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

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14, finding 1: one voucher, sent many times at once, pays for exactly one call. The gate suspends
/// to fetch a channel it has not seen (a fresh channel, or any channel after a restart) and to re-fetch one
/// whose capacity a voucher exceeds (after a top-up); calls that overlap those suspensions must not all be
/// served. Tried twice: in process with concurrent tasks on one gate, and as a user would, with concurrent
/// HTTP requests to `kura-example-provider`. Both against a real `kura serve`.
@Suite("one voucher sent twenty times at once pays for one call", .serialized)
struct VoucherReplayTests {
    static let burst = 20
    static let price = try! Amount(units: 7)
    let e2e = ChannelEndToEndTests()

    /// Opens a channel of `deposit` as the agent.
    func open(_ w: ChannelEndToEndTests.World, deposit: UInt64 = 5_000) async throws -> Channel {
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        return try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).openChannel(
            OpenChannelRequest(
                provider: w.provider.id, asset: try Asset("USDC"), amount: try Amount(units: deposit),
                challengePeriodMs: 3_600_000, expiresAt: now.adding(milliseconds: 86_400_000)))
    }

    func voucher(_ channel: Channel, _ cumulative: UInt64, _ sequence: UInt64) throws -> SignedVoucher {
        try SignedVoucher(
            ChannelVoucher(channel: channel.id, cumulativeAmount: try Amount(units: cumulative), sequence: sequence),
            key: TestKeys.secretKey("agent"))
    }

    func gate(_ w: ChannelEndToEndTests.World) throws -> ChannelVoucherGate {
        var configuration = ChannelVoucherGate.Configuration(
            provider: w.provider.id, asset: try Asset("USDC"), journalPath: w.dir.path("gate.journal"))
        configuration.settleEveryMs = 600_000
        return try ChannelVoucherGate(
            configuration: configuration, client: KuraClient(baseURL: w.kura.url, apiKey: w.provider.apiKey),
            logger: Logger.quiet("gate"))
    }

    /// Sends one voucher `burst` times at once through the gate; returns how many calls it accepted.
    func acceptedAtOnce(_ gate: ChannelVoucherGate, _ signed: SignedVoucher) async throws -> Int {
        let header = try signed.headerValue()
        return await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<Self.burst {
                group.addTask { (try? await gate.accept(headerValue: header, price: Self.price)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    /// Sends one voucher `burst` times at once to the provider's paid route; returns how many were served.
    func servedAtOnce(_ url: String, _ signed: SignedVoucher) async throws -> Int {
        let header = try signed.headerValue()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<Self.burst {
                group.addTask {
                    var request = HTTPClientRequest(url: url)
                    request.headers.add(name: SignedVoucher.headerName, value: header)
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 16)
                    return response.status.code == 200
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    @Test("the gate, in process: a fresh channel, after a restart on the same journal, after a top-up")
    func gateUnderConcurrency() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let channel = try await open(w)

        // A channel the gate has never seen: every call awaits its fetch.
        let first = try gate(w)
        let fresh = try await acceptedAtOnce(first, try voucher(channel, 7, 1))
        #expect(fresh == 1)
        try await first.flush()

        // A restart (nothing settled, the journal holds sequence 1): the channel is unknown again.
        let second = try gate(w)
        let afterRestart = try await acceptedAtOnce(second, try voucher(channel, 14, 2))
        #expect(afterRestart == 1)
        // The recovered voucher and the one just accepted stay spent.
        await #expect(throws: KuraError.self) {
            try await second.accept(headerValue: try voucher(channel, 14, 2).headerValue(), price: Self.price)
        }

        // A top-up: the voucher exceeds the capacity the gate knows, so every call awaits a re-fetch.
        _ = try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).perform(
            KuraAPI.topUpChannel, at: channel.id, TopUpRequest(amount: try Amount(units: 5_000)))
        let afterTopUp = try await acceptedAtOnce(second, try voucher(channel, 5_007, 3))
        #expect(afterTopUp == 1)
        #expect(await second.best(channel.id)?.voucher.sequence == 3)

        // What the gate settles is exactly the one voucher per call it served.
        #expect(await second.settleDue(all: true) == 1)
        let settled = try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).channel(channel.id)
        #expect(settled.settled.units == 5_007 && settled.sequence == 3)
        #expect(try await w.kura.terminate() == 0)
    }

    /// Review of the payer's refusal rule: a paid route that threw (here a 402 of its own) after the gate accepted the
    /// voucher was answered by Hummingbird without `Kura-Channel-Accepted`, so the payer took the voucher back and
    /// the gate refused every next one as stale.
    @Test("a paid route that throws after the gate took the voucher still says it was accepted")
    func routeThrowsAfterPayment() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let channel = try await open(w)
        let router = Router()
        router.add(middleware: ChannelPaymentMiddleware(gate: try gate(w), price: Self.price))
        router.get("/paid") { _, _ -> Response in
            throw HTTPError(.init(code: 402), message: "the route's own refusal")
        }
        let header = try voucher(channel, 7, 1).headerValue()
        try await Application(router: router).test(.router) { client in
            try await client.execute(
                uri: "/paid", method: .get, headers: [HTTPField.Name(SignedVoucher.headerName)!: header]
            ) { response in
                #expect(response.status.code == 402)
                #expect(response.headers[HTTPField.Name(SignedVoucher.acceptedHeaderName)!] == "7")
            }
        }
        #expect(try await w.kura.terminate() == 0)
    }

    @Test("kura-example-provider, over HTTP: a fresh channel, after a restart, after a top-up")
    func exampleProvider() async throws {
        let w = try await e2e.world()
        defer { w.dir.remove() }
        let channel = try await open(w)

        var provider = try await e2e.startProvider(w)
        let freshServed = try await servedAtOnce("\(provider.url)/v1/quote", try voucher(channel, 7, 1))
        #expect(freshServed == 1)

        // Killed and restarted on its journal: the channel is unknown to the new process.
        try await Task.sleep(for: .milliseconds(200))  // past a flush window: sequence 1 is durable
        provider.child.send(SIGKILL)
        _ = await provider.child.wait()
        provider = try await e2e.startProvider(w)
        let restartServed = try await servedAtOnce("\(provider.url)/v1/quote", try voucher(channel, 14, 2))
        #expect(restartServed == 1)

        _ = try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).perform(
            KuraAPI.topUpChannel, at: channel.id, TopUpRequest(amount: try Amount(units: 5_000)))
        let topUpServed = try await servedAtOnce("\(provider.url)/v1/quote", try voucher(channel, 5_007, 3))
        #expect(topUpServed == 1)

        // A graceful stop settles what was served: three calls, one voucher each.
        #expect(try await provider.terminate() == 0)
        let settled = try await KuraClient(baseURL: w.kura.url, apiKey: w.agent.apiKey).channel(channel.id)
        #expect(settled.settled.units == 5_007 && settled.sequence == 3)
        #expect(try await w.kura.terminate() == 0)
    }
}
