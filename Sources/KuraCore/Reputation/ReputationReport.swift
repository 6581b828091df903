import KuraCrypto

/// The tree a report was computed at: its size and RFC 6962 root (standard base64), as in a checkpoint.
public struct ReputationCheckpoint: Sendable, Equatable, Codable {
    /// The number of receipts.
    public var size: UInt64
    /// The root hash of those receipts.
    public var rootHash: String

    /// Names a tree.
    public init(size: UInt64, rootHash: String) {
        self.size = size
        self.rootHash = rootHash
    }
}

/// One role's score: 0–1000, its lower confidence bound, the tier, the decayed evidence and the counts.
public struct RoleScore: Sendable, Equatable, Codable {
    /// The beta reputation `(r + 1) / (r + s + 2)` in thousandths, rounded down.
    public var score: UInt64
    /// The score less two standard deviations of the beta distribution, in thousandths, at least 0.
    public var lowerBound: UInt64
    /// `unrated`, `poor`, `fair`, `good` or `excellent`.
    public var tier: String
    /// The decayed evidence at the report's time, micro-units: `{"positive", "negative"}`.
    public var evidence: [String: UInt64]
    /// The lifetime counts and what follows from them (rates in thousandths, median latency, volume).
    public var facts: JSONValue

    /// The tiers from worst to best, after `unrated`.
    public static let tiers: [(name: String, minimumLowerBound: UInt64)] = [
        ("excellent", 800), ("good", 600), ("fair", 400), ("poor", 0),
    ]

    /// The score of decayed evidence under `model`.
    public init(evidence: Evidence, facts: JSONValue, model: ReputationModel) {
        let unit = ReputationModel.unit
        let a = UInt128(evidence.positive) + UInt128(unit)
        let b = UInt128(evidence.negative) + UInt128(unit)
        let n = a + b
        let score = UInt64(1000 * a / n)
        // Beta variance ab / ((a+b)^2 (a+b+1)), in thousandths squared, with a and b in micro-units.
        let q = a * b / n
        let variance = q * 1_000_000_000_000 / (n * (n + UInt128(unit)))
        let deviation = UInt64(ReputationMath.isqrt(variance))
        let lowerBound = score > 2 * deviation ? score - 2 * deviation : 0
        self.score = score
        self.lowerBound = lowerBound
        if evidence.positive + evidence.negative < model.minimumEvidence {
            self.tier = "unrated"
        } else {
            self.tier = Self.tiers.first { lowerBound >= $0.minimumLowerBound }?.name ?? "poor"
        }
        self.evidence = ["positive": evidence.positive, "negative": evidence.negative]
        self.facts = facts
    }
}

/// A party's Meishi reputation at one tree size: the answer of `GET /v1/reputation/{party}` and of
/// `kura reputation compute`, byte for byte (canonical JSON).
public struct ReputationReport: Sendable, Equatable, Codable {
    /// The party.
    public var party: PartyID
    /// The tree the report is computed at.
    public var checkpoint: ReputationCheckpoint
    /// The time evidence is decayed to: the `at` of the tree's last receipt (absent for an empty tree).
    public var asOf: Timestamp?
    /// The parameters used.
    public var model: ReputationModel
    /// As payee.
    public var provider: RoleScore
    /// As payer.
    public var payer: RoleScore

    /// The report of `state` at a tree of `size` receipts whose last receipt has `asOf`.
    public init(
        party: PartyID, state: PartyReputation, size: UInt64, rootHash: String, asOf: Timestamp?,
        model: ReputationModel
    ) {
        self.party = party
        self.checkpoint = ReputationCheckpoint(size: size, rootHash: rootHash)
        self.asOf = asOf
        self.model = model
        let tick = asOf.map { model.tick($0) } ?? 0
        self.provider = RoleScore(
            evidence: state.provider.evidence.decayed(to: tick), facts: Self.providerFacts(state.provider.facts),
            model: model)
        self.payer = RoleScore(
            evidence: state.payer.evidence.decayed(to: tick), facts: Self.payerFacts(state.payer.facts), model: model)
    }

    /// The canonical JSON bytes (what the server sends and the attestation signs).
    public func canonicalBytes() throws(KuraError) -> [UInt8] {
        do { return try JSONValue.canonicalBytes(encoding: self) } catch {
            throw KuraError(.internalError, "reputation report does not encode: \(error.reason)")
        }
    }

    static func providerFacts(_ f: RoleFacts) -> JSONValue {
        var out: [String: JSONValue] = [
            "escrows": number(f.escrows), "deliveries": number(f.deliveries),
            "onTimeDeliveries": number(f.onTimeDeliveries), "releases": number(f.completed),
            "refunds": number(f.refunds), "expiries": number(f.expiries), "disputes": number(f.disputes),
            "disputesLost": number(f.disputesLost), "volume": volume(f.volume),
        ]
        // Members whose denominator is 0 are left out (never `null`).
        if let rate = permille(f.deliveries, f.deliveries + f.expiries + f.refundsBeforeDelivery) {
            out["deliveryRatePermille"] = rate
        }
        if let rate = permille(f.onTimeDeliveries, f.deliveries) { out["onTimeRatePermille"] = rate }
        if let rate = permille(f.disputes, f.deliveries) { out["disputeRatePermille"] = rate }
        if let median = LatencyHistogram.median(f.latencies) { out["medianDeliveryLatencyMs"] = number(median) }
        return .object(out)
    }

    static func payerFacts(_ f: RoleFacts) -> JSONValue {
        var out: [String: JSONValue] = [
            "escrows": number(f.escrows), "paymentsCompleted": number(f.completed),
            "cancellations": number(f.cancellations), "disputesOpened": number(f.disputes),
            "disputesLost": number(f.disputesLost), "frivolousDisputes": number(f.frivolousDisputes),
            "volume": volume(f.volume),
        ]
        if let rate = permille(f.disputes, f.escrows) { out["disputeRatePermille"] = rate }
        return .object(out)
    }

    private static func number(_ value: UInt64) -> JSONValue { .number(Double(min(value, Amount.maxUnits))) }

    private static func permille(_ part: UInt64, _ whole: UInt64) -> JSONValue? {
        // `.none`, not `nil`: JSONValue is ExpressibleByNilLiteral, and a bare `nil` here became `null`.
        guard whole > 0 else { return .none }
        return number(ReputationMath.mulDiv(part, 1000, whole))
    }

    private static func volume(_ volume: [String: UInt64]) -> JSONValue { .object(volume.mapValues(number)) }
}
