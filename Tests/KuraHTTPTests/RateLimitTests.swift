import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraHTTP
import KuraService
import KuraTesting
import Logging
import Synchronization
import Testing

@testable import KuraHTTP

/// Issue 14, findings 3 and 7: every public route is rate-limited; the limiter's memory is bounded with
/// O(1) eviction; its defaults limit something; a trusted proxy's forwarding header is honoured, and only
/// from that proxy.
@Suite("rate limits of the public routes")
struct RateLimitTests {
    /// A monotonic clock the test moves.
    final class ManualClock: Sendable {
        let nanoseconds = Mutex<UInt64>(1_000_000_000)
        func advance(seconds: Double) { nanoseconds.withLock { $0 += UInt64(seconds * 1e9) } }
        var now: @Sendable () -> UInt64 { { self.nanoseconds.withLock { $0 } } }
    }

    @Test("a token bucket: the burst, then one token per 1/rate seconds")
    func bucket() {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: RateLimit(requestsPerSecond: 2, burst: 3), now: clock.now)
        #expect((0..<3).map { _ in limiter.admit("a") } == [nil, nil, nil])
        let wait = limiter.admit("a")
        #expect(wait == 0.5)
        #expect(limiter.admit("b") == nil)  // another client has its own bucket
        clock.advance(seconds: 0.5)
        #expect(limiter.admit("a") == nil)
        #expect(limiter.admit("a") != nil)
    }

    @Test("memory is bounded: past the capacity the least recently used client is forgotten, in place")
    func boundedLRU() {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: RateLimit(requestsPerSecond: 1, burst: 1), capacity: 3, now: clock.now)
        for client in ["a", "b", "c"] { #expect(limiter.admit(client) == nil) }
        #expect(limiter.admit("a") != nil)  // a is now the most recent, and empty
        #expect(limiter.admit("d") == nil)  // evicts b, the least recently used
        #expect(limiter.clientsByRecency == ["d", "a", "c"])
        #expect(limiter.count == 3)
        #expect(limiter.admit("a") != nil)  // a was kept with its empty bucket
        #expect(limiter.admit("b") == nil)  // b starts again (evicting c)
        #expect(limiter.clientsByRecency == ["b", "a", "d"])

        // A flood of distinct addresses never grows the table past its capacity.
        let big = RateLimiter(limit: .perAddress, capacity: 1000, now: clock.now)
        for i in 0..<50_000 { _ = big.admit("10.\(i >> 16).\((i >> 8) & 255).\(i & 255)") }
        #expect(big.count == 1000)
        #expect(big.clientsByRecency.count == 1000)
        #expect(big.clientsByRecency.first == "10.0.195.79")  // 49,999
    }

    @Test("the defaults limit something a two-core server can serve")
    func defaults() {
        let configuration = KuraServer.Configuration()
        let perAddress = configuration.publicRateLimit
        let anonymous = configuration.anonymousRateLimit
        #expect((perAddress?.requestsPerSecond ?? .infinity) <= 50 && (perAddress?.burst ?? .infinity) <= 100)
        #expect((anonymous?.requestsPerSecond ?? .infinity) <= 1000)
        #expect(configuration.idleTimeoutMs > 0 && configuration.idleTimeoutMs <= 60_000)
    }

    @Test("the client address: a trusted proxy's X-Forwarded-For, read from the right; nobody else's")
    func clientAddress() throws {
        let direct = ClientAddress.direct
        let forwarded: HTTPFields = [ClientAddress.forwardedFor: "198.51.100.7, 203.0.113.9"]
        #expect(direct.client(peer: "192.0.2.1", headers: forwarded) == "192.0.2.1")
        let proxied = try ClientAddress(trustedProxies: ["192.0.2.1", "192.0.2.2"])
        #expect(proxied.client(peer: "192.0.2.1", headers: forwarded) == "203.0.113.9")
        // A peer that is not the proxy cannot choose its address.
        #expect(proxied.client(peer: "192.0.2.99", headers: forwarded) == "192.0.2.99")
        // Through two trusted proxies, the entry before them.
        let chain: HTTPFields = [ClientAddress.forwardedFor: "198.51.100.7, 203.0.113.9, 192.0.2.2"]
        #expect(proxied.client(peer: "192.0.2.1", headers: chain) == "203.0.113.9")
        // Garbage or nothing leaves the request on the proxy's address.
        #expect(proxied.client(peer: "192.0.2.1", headers: [ClientAddress.forwardedFor: "nonsense"]) == "192.0.2.1")
        #expect(proxied.client(peer: "192.0.2.1", headers: [:]) == "192.0.2.1")
        // Two header lines are one list.
        var two = HTTPFields()
        two.append(HTTPField(name: ClientAddress.forwardedFor, value: "198.51.100.7"))
        two.append(HTTPField(name: ClientAddress.forwardedFor, value: "203.0.113.10"))
        #expect(proxied.client(peer: "192.0.2.1", headers: two) == "203.0.113.10")
        // Canonical text: IPv4-mapped IPv6 is IPv4; IPv6 buckets are /64 networks.
        #expect(ClientAddress.canonical("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.canonical("2001:DB8:0:0:0:0:0:1") == "2001:db8::1")
        #expect(ClientAddress.bucketKey("2001:db8::1") == ClientAddress.bucketKey("2001:db8::ffff:1"))
        #expect(ClientAddress.bucketKey("2001:db8::1") != ClientAddress.bucketKey("2001:db8:0:1::1"))
        #expect(ClientAddress.bucketKey("192.0.2.1") == "192.0.2.1")
        #expect(throws: ClientAddressError.self) { try ClientAddress(trustedProxies: ["proxy.local"]) }
    }

    static func server(_ fixture: HTTPFixture, trustedProxies: [String] = []) -> KuraServer {
        var configuration = KuraServer.Configuration(port: 0, sweepIntervalMs: 0, checkpointIntervalMs: 0)
        configuration.publicRateLimit = RateLimit(requestsPerSecond: 0.001, burst: 1)
        configuration.anonymousRateLimit = nil
        configuration.trustedProxies = trustedProxies
        configuration.idleTimeoutMs = HTTPFixture.idleTimeoutMs
        return KuraServer(
            service: fixture.service, configuration: configuration,
            logger: Logger.quiet("test"))
    }

    @Test("every public route draws on the address's bucket; authenticated routes and API keys do not")
    func everyPublicRoute() async throws {
        let fixture = try await HTTPFixture(label: "limit-all")
        try await Self.server(fixture).makeApplication().test(.router) { client in
            let first = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
            #expect(first.status == .ok)
            for route in KuraRoutes.publicRoutes.sorted() {
                let uri = route.path.replacingOccurrences(of: "{index}", with: "0")
                    .replacingOccurrences(of: "{party}", with: "pty_A").replacingOccurrences(of: "{id}", with: "pty_A")
                let answer = try await client.executeRequest(
                    uri: uri, method: HTTPRequest.Method(route.method)!, headers: [:], body: nil)
                #expect(answer.status == .tooManyRequests, "\(route)")
                #expect(answer.headers[.retryAfter] != nil, "\(route)")
            }
            // An authenticated route is not limited here, and a valid API key passes a public route.
            let operatorKey: HTTPFields = [.authorization: "Bearer \(fixture.operatorKey)"]
            let account = try await client.executeRequest(
                uri: "/v1/accounts/\(fixture.db.operatorParty.id)", method: .get, headers: operatorKey, body: nil)
            #expect(account.status == .ok)
            let keyed = try await client.executeRequest(uri: "/healthz", method: .get, headers: operatorKey, body: nil)
            #expect(keyed.status == .ok)
            // A wrong key counts as anonymous (not refused for the key: limited).
            let wrong = try await client.executeRequest(
                uri: "/healthz", method: .get, headers: [.authorization: "Bearer kura_wrong"], body: nil)
            #expect(wrong.status == .tooManyRequests)
        }
    }

    @Test("a large page weighs more: 1,000 receipts cost 10 tokens, a batch of 100 reputations 10")
    func weightedRequests() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: RateLimit(requestsPerSecond: 1, burst: 10), now: clock.now)
        #expect(limiter.admit("a", cost: 10) == nil)
        #expect(limiter.admit("a") == 1)  // empty: one token a second
        #expect(limiter.admit("b", cost: 1_000) == nil)  // never more than the burst, so it can pass at all

        let fixture = try await HTTPFixture(label: "limit-weight")
        var configuration = KuraServer.Configuration(port: 0, sweepIntervalMs: 0, checkpointIntervalMs: 0)
        configuration.publicRateLimit = RateLimit(requestsPerSecond: 0.001, burst: 10)
        configuration.anonymousRateLimit = nil
        configuration.idleTimeoutMs = HTTPFixture.idleTimeoutMs
        let server = KuraServer(
            service: fixture.service, configuration: configuration,
            logger: Logger.quiet("test"))
        try await server.makeApplication().test(.router) { client in
            let big = try await client.executeRequest(
                uri: "/v1/receipts?limit=1000", method: .get, headers: [:], body: nil)
            #expect(big.status == .ok)
            let next = try await client.executeRequest(
                uri: "/v1/receipts?limit=1", method: .get, headers: [:], body: nil)
            #expect(next.status == .tooManyRequests)
        }
        try await server.makeApplication().test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 {
                statuses.append(
                    try await client.executeRequest(
                        uri: "/v1/receipts?limit=100", method: .get, headers: [:], body: nil
                    )
                    .status)
            }
            #expect(statuses == Array(repeating: .ok, count: 10) + [.tooManyRequests])
        }
        // The router takes a trailing slash and a percent-encoded parameter name as the plain ones: so does the
        // weight (review finding: each was charged one token for a page of 1,000).
        for (uri, weighed) in [
            ("/v1/receipts/?limit=1000", "/v1/receipts"), ("/v1/receipts?l%69mit=1000", "/v1/receipts"),
            ("//v1/reputation?ids=\(Array(repeating: "pty_x", count: 100).joined(separator: ","))", "/v1/reputation"),
        ] {
            try await server.makeApplication().test(.router) { client in
                let big = try await client.executeRequest(uri: uri, method: .get, headers: [:], body: nil)
                #expect(big.status != .tooManyRequests, "\(uri)")
                let next = try await client.executeRequest(
                    uri: weighed + "?limit=1", method: .get, headers: [:], body: nil)
                #expect(next.status == .tooManyRequests, "\(uri) cost less than its weight")
            }
        }
    }

    @Test("behind a trusted proxy each forwarded client has its own bucket; without the option the header is ignored")
    func trustedProxy() async throws {
        let fixture = try await HTTPFixture(label: "limit-proxy")
        @Sendable func get(_ client: any TestClientProtocol, forwardedFor: String) async throws -> HTTPResponse.Status {
            try await client.executeRequest(
                uri: "/healthz", method: .get, headers: [ClientAddress.forwardedFor: forwardedFor], body: nil
            ).status
        }
        try await Self.server(fixture, trustedProxies: ["127.0.0.1", "::1"]).makeApplication().test(.live) { client in
            let statuses = [
                try await get(client, forwardedFor: "203.0.113.5"), try await get(client, forwardedFor: "203.0.113.6"),
                try await get(client, forwardedFor: "203.0.113.5"),
            ]
            #expect(statuses == [.ok, .ok, .tooManyRequests])
        }
        try await Self.server(fixture).makeApplication().test(.live) { client in
            let statuses = [
                try await get(client, forwardedFor: "203.0.113.5"), try await get(client, forwardedFor: "203.0.113.6"),
            ]
            #expect(statuses == [.ok, .tooManyRequests])
        }
    }
}
