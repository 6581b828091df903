/// The lifetime counts behind a party's score in one role. Counts never decay; evidence does.
public struct RoleFacts: Sendable, Equatable, Codable {
    /// `escrow.locked` receipts: escrows opened with the party in this role.
    public var escrows: UInt64 = 0
    /// Payments completed: `escrow.released` (confirmed or auto-released) and each settlement's `*.settled` receipt.
    public var completed: UInt64 = 0
    /// `escrow.delivered` receipts (provider).
    public var deliveries: UInt64 = 0
    /// Deliveries made by the deadline (provider).
    public var onTimeDeliveries: UInt64 = 0
    /// `escrow.refunded` receipts.
    public var refunds: UInt64 = 0
    /// Refunds of escrows that had not been delivered.
    public var refundsBeforeDelivery: UInt64 = 0
    /// `escrow.expired` receipts: nothing delivered by the deadline.
    public var expiries: UInt64 = 0
    /// `escrow.cancelled` receipts.
    public var cancellations: UInt64 = 0
    /// `escrow.disputed` receipts: disputes received (provider) or opened (payer).
    public var disputes: UInt64 = 0
    /// `dispute.resolved` receipts.
    public var disputesResolved: UInt64 = 0
    /// Disputes lost: refunded 50 % or more (provider), under 50 % (payer).
    public var disputesLost: UInt64 = 0
    /// Disputes that got the payer nothing back (`refundBps` 0), counted for the payer.
    public var frivolousDisputes: UInt64 = 0
    /// Completed payments' amounts per asset, saturating at 2^53 − 1.
    public var volume: [String: UInt64] = [:]
    /// Delivery latencies (provider), bucket index (decimal) → count; see ``LatencyHistogram``.
    public var latencies: [String: UInt64] = [:]

    /// No facts.
    public init() {}
}

/// One role's evidence and facts.
public struct RoleReputation: Sendable, Equatable, Codable {
    /// The decayed evidence, after the counterparty cap.
    public var evidence = Evidence()
    /// The lifetime counts.
    public var facts = RoleFacts()

    /// Nothing yet.
    public init() {}
}

/// Everything the receipts have said about one party: the state the projection keeps per party, and that
/// ``ReputationLedger`` folds in memory.
public struct PartyReputation: Sendable, Equatable, Codable {
    /// As the payee of payments.
    public var provider = RoleReputation()
    /// As the payer of payments.
    public var payer = RoleReputation()

    /// Nothing yet.
    public init() {}

    /// The state of one role.
    public subscript(role: ReputationRole) -> RoleReputation {
        get { role == .provider ? provider : payer }
        set {
            if role == .provider { provider = newValue } else { payer = newValue }
        }
    }
}

/// Delivery latencies in buckets of four significant bits, so a median costs O(1) memory per party.
///
/// A latency `L` (ms, negative read as 0) below 16 has bucket `L`; otherwise, with `b` its bit length,
/// bucket `(b − 3) × 8 + ((L >> (b − 4)) & 7)`, whose lower bound is `(8 + that low part) << (b − 4)`.
public enum LatencyHistogram {
    /// The bucket of a latency.
    public static func bucket(_ latencyMs: Int64) -> UInt64 {
        let value = UInt64(max(0, latencyMs))
        guard value >= 16 else { return value }
        let bits = ReputationMath.bitLength(value)
        return (bits - 3) * 8 + ((value >> (bits - 4)) & 7)
    }

    /// The smallest latency in a bucket.
    public static func lowerBound(_ bucket: UInt64) -> UInt64 {
        guard bucket >= 16 else { return bucket }
        let bits = bucket / 8 + 3
        return (8 + bucket % 8) << (bits - 4)
    }

    /// The lower bound of the bucket holding the lower median (the item of rank ⌈n/2⌉ in ascending order).
    public static func median(_ histogram: [String: UInt64]) -> UInt64? {
        let buckets = histogram.compactMap { key, count in UInt64(key).map { ($0, count) } }.sorted { $0.0 < $1.0 }
        let total = buckets.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return nil }
        let rank = (total + 1) / 2
        var seen: UInt64 = 0
        for (bucket, count) in buckets {
            seen += count
            if seen >= rank { return lowerBound(bucket) }
        }
        return nil
    }
}
