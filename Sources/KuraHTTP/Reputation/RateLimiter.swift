import Dispatch
import Foundation
import Hummingbird
import KuraCore

extension KuraError.Code {
    /// Too many requests from one client address (HTTP 429, with `Retry-After`). Only KuraHTTP produces it.
    public static let rateLimited = KuraError.Code(rawValue: "rate_limited")
}

/// How many public reads one client address may make: a token bucket that refills at
/// ``requestsPerSecond`` and holds at most ``burst`` requests.
public struct RateLimit: Sendable, Equatable {
    /// The sustained rate per client address.
    public var requestsPerSecond: Double
    /// How many requests a quiet client may send at once.
    public var burst: Double

    /// A limit; `burst` defaults to one second's worth.
    public init(requestsPerSecond: Double, burst: Double? = nil) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst ?? requestsPerSecond
    }

    /// The server's default: generous enough that no test or benchmark meets it (100,000 a second).
    public static let generous = RateLimit(requestsPerSecond: 100_000)
}

/// Token buckets per client address, in memory. A bucket idle long enough to be full again is forgotten
/// when the table grows past ``maxClients``, so memory stays bounded.
final class RateLimiter: @unchecked Sendable {
    static let maxClients = 10_000

    let limit: RateLimit
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: UInt64)] = [:]
    private let now: @Sendable () -> UInt64

    /// `now` is a monotonic clock in nanoseconds (injected so tests can move it).
    init(limit: RateLimit, now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.limit = limit
        self.now = now
    }

    /// Takes one token for `client`: nil when admitted, else the seconds until a token is there.
    func admit(_ client: String) -> Double? {
        lock.withLock {
            let t = now()
            var bucket = buckets[client] ?? (limit.burst, t)
            let elapsed = Double(t &- bucket.at) / 1e9
            bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.requestsPerSecond)
            bucket.at = t
            defer {
                buckets[client] = bucket
                if buckets.count > Self.maxClients { forgetFullBuckets(at: t) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / max(limit.requestsPerSecond, 1e-9)
        }
    }

    /// The 429 answer: problem+json `rate_limited` with `Retry-After` in whole seconds.
    static func refusal(wait: Double) -> Response {
        let seconds = retryAfter(wait)
        var response = Problem.response(
            for: KuraError(.rateLimited, "too many requests from this address; retry in \(seconds) s"))
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// Whole seconds to wait, at least 1 (the `Retry-After` value).
    static func retryAfter(_ seconds: Double) -> Int { max(1, Int(seconds.rounded(.up))) }

    private func forgetFullBuckets(at t: UInt64) {
        let refill = limit.burst / max(limit.requestsPerSecond, 1e-9)
        buckets = buckets.filter { Double(t &- $0.value.at) / 1e9 < refill }
    }
}
