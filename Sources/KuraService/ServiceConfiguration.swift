import KuraCore
import KuraCrypto

/// Everything KuraService needs to know that is not in the log. Passed in as a value.
public struct ServiceConfiguration: Sendable {
    /// Fee rates.
    public var fees: FeeSchedule = FeeSchedule()
    /// Panel sizes, dispute deadlines and the default outcome.
    public var disputes: DisputePolicy = DisputePolicy()
    /// The shortest challenge period and lifetime a new channel may have.
    public var channels: ChannelPolicy = ChannelPolicy()
    /// How long an API-key authentication is remembered (0: the parties table is read for every request). A
    /// party changed by another process (the CLI, another node) may still read for this long with a revoked
    /// key here; it cannot write with one (the writer checks every command's principal against the log).
    public var apiKeyCacheMs: Int64 = 1_000
    /// The most clock skew a signed request may have.
    public var maxRequestSkewMs: Int64 = 300_000
    /// Until when requests signed over the deprecated `kura-request-v1` text (which names neither the party
    /// nor the instance) are still accepted; nil: never again. Default 2027-06-01T00:00:00Z, six months after
    /// `kura-request-v2`. Documented in Docs/authentication.md.
    public var requestSignatureV1Until: Timestamp? = ServiceConfiguration.v1SignatureSunset
    /// The default end of `kura-request-v1`: 2027-06-01T00:00:00Z.
    public static let v1SignatureSunset = Timestamp(milliseconds: 1_811_808_000_000)
    /// The most escrows one sweep handles (the rest wait for the next sweep).
    public var sweepBatch: Int = 500
    /// How long a facilitator reservation lives: settle must come before `issuedAt + reservationTtlMs`.
    public var reservationTtlMs: Int64 = 120_000
    /// The crypto-fast loan-to-value cap in basis points (6000: credit is 60 % of the collateral's value).
    public var ltvBps: UInt64 = 6_000
    /// The crypto-fast minimum health factor in basis points (15000 = 1.5); below it a position freezes.
    public var minHealthBps: UInt64 = 15_000
    /// Earlier signing keys whose decision envelopes still verify (key rotation): published in the JWK set
    /// beside the current key until removed from this list.
    public var previousVerifiers: [NoteVerifier] = []
    /// The Solana networks Kura settles x402 `exact` payments, deposits and withdrawals on (none by default).
    public var solana: [SolanaRail] = []
    /// The JOSE `alg` written in decision envelopes and the JWK set; both names are accepted on input.
    public var joseAlgorithm: JOSEAlgorithm = .edDSA

    /// The defaults of DESIGN section 5.
    public init() {}
}

/// Where new secrets (API keys) come from. Only adapters use the system source; tests and golden
/// scenarios use a seeded one so that the log is reproducible.
public struct SecretSource: Sendable {
    /// Returns `count` secret bytes.
    public var bytes: @Sendable (Int) -> [UInt8]

    /// Wraps a byte source.
    public init(bytes: @escaping @Sendable (Int) -> [UInt8]) { self.bytes = bytes }

    /// The operating system's random source.
    public static let system = SecretSource { SecureRandom.bytes($0) }

    /// A deterministic source for tests: SHA-256 in counter mode over `seed`.
    public static func seeded(_ seed: String) -> SecretSource {
        let counter = Counter()
        return SecretSource { count in
            var out: [UInt8] = []
            while out.count < count { out += SHA256.hash(Array("\(seed)/\(counter.next())".utf8)) }
            return Array(out.prefix(count))
        }
    }
}

final class Counter: @unchecked Sendable {
    private var value: UInt64 = 0
    private let lock = NSLockLike()
    func next() -> UInt64 {
        lock.withLock {
            value += 1
            return value
        }
    }
}
