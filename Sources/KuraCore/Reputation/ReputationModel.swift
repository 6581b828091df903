/// The parameters of Meishi scoring. Every answer carries them, so a recomputation can use the same ones.
///
/// Evidence is counted in micro-units: `ReputationModel.unit` (1,000,000) is one unit of evidence, which is
/// what a payment of 2^19 to 2^20 − 1 atomic units (about one USDC) weighs.
public struct ReputationModel: Sendable, Equatable, Hashable, Codable {
    /// The scoring rules' version; it changes whenever a rule in Docs/reputation.md changes.
    public static let currentVersion = 1
    /// One unit of evidence, in micro-units.
    public static let unit: UInt64 = 1_000_000
    /// The weight of one bit of a payment's amount: a payment weighs `bitLength(amount) × 50,000` micro-units.
    public static let weightPerBit: UInt64 = 50_000
    /// 90 days in milliseconds.
    public static let ninetyDaysMs: Int64 = 90 * 86_400_000

    /// The rules' version (`currentVersion`).
    public var version: Int
    /// Evidence loses half its weight in this many milliseconds (default 90 days).
    public var halfLifeMs: Int64
    /// The most positive, and separately the most negative, decayed evidence one counterparty can give a
    /// party in one role, in micro-units (default 3 units).
    public var counterpartyCap: UInt64
    /// Below this much decayed evidence (positive + negative, micro-units) a role is `unrated` (default 5 units).
    public var minimumEvidence: UInt64

    /// A model; the defaults are ``standard``.
    public init(
        halfLifeMs: Int64 = ninetyDaysMs, counterpartyCap: UInt64 = 3 * unit, minimumEvidence: UInt64 = 5 * unit
    ) {
        self.version = Self.currentVersion
        self.halfLifeMs = halfLifeMs
        self.counterpartyCap = counterpartyCap
        self.minimumEvidence = minimumEvidence
    }

    /// The defaults: 90-day half-life, a cap of 3 units per counterparty, 5 units to be rated.
    public static let standard = ReputationModel()

    /// Checks the parameters: a positive half-life, a positive cap.
    public func validate() throws(KuraError) {
        guard version == Self.currentVersion else {
            throw KuraError(.invalidRequest, "reputation model version \(version) is not \(Self.currentVersion)")
        }
        guard halfLifeMs >= 1 else { throw KuraError(.invalidRequest, "the half-life must be at least 1 ms") }
        guard counterpartyCap >= 1 else { throw KuraError(.invalidRequest, "the counterparty cap must be positive") }
    }

    /// The weight of a payment of `amount`: `bitLength(units) × 50,000` micro-units.
    public static func weight(_ amount: Amount) -> UInt64 { ReputationMath.bitLength(amount.units) * weightPerBit }

    /// The decay tick of a time under this model.
    public func tick(_ at: Timestamp) -> UInt64 { ReputationMath.tick(at, halfLifeMs: halfLifeMs) }
}

/// The two roles a party is scored in.
public enum ReputationRole: String, Sendable, Codable, CaseIterable {
    /// The payee of a payment: delivers the service.
    case provider
    /// The payer of a payment.
    case payer
}

/// Decayed beta evidence: positive and negative weight in micro-units, as of a decay tick.
public struct Evidence: Sendable, Equatable, Hashable, Codable {
    /// Positive evidence (the `r` of beta reputation).
    public var positive: UInt64 = 0
    /// Negative evidence (the `s`).
    public var negative: UInt64 = 0
    /// The tick both are decayed to.
    public var tick: UInt64 = 0

    /// No evidence.
    public init(positive: UInt64 = 0, negative: UInt64 = 0, tick: UInt64 = 0) {
        self.positive = positive
        self.negative = negative
        self.tick = tick
    }

    /// This evidence decayed to `tick` (a tick at or before its own leaves it as it is).
    public func decayed(to tick: UInt64) -> Evidence {
        guard tick > self.tick else { return self }
        let age = tick - self.tick
        return Evidence(
            positive: ReputationMath.decay(positive, ticks: age), negative: ReputationMath.decay(negative, ticks: age),
            tick: tick)
    }

    /// Whether there is none.
    public var isEmpty: Bool { positive == 0 && negative == 0 }
}
