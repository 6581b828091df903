/// How many requests one client may make to the public routes: a token bucket that refills at
/// ``requestsPerSecond`` and holds at most ``burst`` requests.
public struct RateLimit: Sendable, Equatable {
    /// The sustained rate.
    public var requestsPerSecond: Double
    /// How many requests a quiet client may send at once.
    public var burst: Double

    /// A limit; `burst` defaults to two seconds' worth (at least 1).
    public init(requestsPerSecond: Double, burst: Double? = nil) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst ?? max(1, 2 * requestsPerSecond)
    }

    /// The server's default per client address: 20 requests a second, bursts of 40. Requests whose work grows
    /// with their answer are weighted (a page of 1,000 receipts counts 10), so one address gets at most about
    /// 2,000 receipts a second, a small share of a two-core server (Docs/reliability.md).
    public static let perAddress = RateLimit(requestsPerSecond: 20, burst: 40)

    /// The server's default for all anonymous public requests together: 400 a second, bursts of 800.
    /// Addresses are cheap to an attacker (IPv6, botnets); this bound keeps anonymous reads from taking
    /// more than about a core, so authenticated callers (never counted here) are still served.
    public static let allAnonymous = RateLimit(requestsPerSecond: 400, burst: 800)
}
