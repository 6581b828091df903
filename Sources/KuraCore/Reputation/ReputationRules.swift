/// What each receipt says about its payee (as provider) and its payer (as payer): the evidence it adds and
/// the counts it moves. Docs/reputation.md section 2 is this file in words. A kind not listed here adds
/// nothing and counts nothing, so receipts of future kinds leave scores as they are until a rule names them.
public enum ReputationRules {
    /// Basis points in a whole.
    static let wholeBps: UInt64 = 10_000
    /// A dispute resolved with at least this refund share is lost by the provider; below it, by the payer.
    public static let providerLosesAtBps: UInt64 = 5_000

    /// The positive and negative evidence (micro-units, before the counterparty cap) of `receipt` for the
    /// party in `role`.
    public static func evidence(_ receipt: Receipt, as role: ReputationRole) -> (positive: UInt64, negative: UInt64) {
        let w = ReputationModel.weight(receipt.amount)
        switch (receipt.kind, role) {
        case ("escrow.released", .provider):
            // Released after a late delivery: half positive, half negative.
            return receipt.onTime == false ? (w / 2, w - w / 2) : (w, 0)
        case ("escrow.released", .payer): return (w, 0)
        case ("escrow.expired", .provider): return (0, w)
        case ("escrow.refunded", .provider):
            // Conceding a dispute weighs as much as losing it; any other refund half as much.
            return receipt.disputed ? (0, w) : (0, w / 2)
        case ("escrow.refunded", .payer):
            // The payee gave in to the payer's dispute: the dispute was justified.
            return receipt.disputed ? (w, 0) : (0, 0)
        case ("dispute.resolved", _):
            guard let bps = refundBps(receipt) else { return (0, 0) }
            let refunded = ReputationMath.mulDiv(w, bps, wholeBps)
            let kept = w - refunded
            if role == .provider { return (kept, refunded) }
            // A dispute that got nothing back is frivolous and counts twice against the payer.
            return bps == 0 ? (0, 2 * w) : (refunded, kept)
        default:
            if isSettlement(receipt) { return (w, 0) }
            return (0, 0)
        }
    }

    /// Moves the counts of `facts` for `receipt`, seen by the party in `role`.
    public static func record(_ receipt: Receipt, as role: ReputationRole, into facts: inout RoleFacts) {
        switch receipt.kind {
        case "escrow.locked": facts.escrows += 1
        case "escrow.delivered":
            guard role == .provider else { return }
            facts.deliveries += 1
            if receipt.onTime == true { facts.onTimeDeliveries += 1 }
            if let latency = receipt.deliveryLatencyMs {
                facts.latencies[String(LatencyHistogram.bucket(latency)), default: 0] += 1
            }
        case "escrow.released": complete(receipt, &facts)
        case "escrow.refunded":
            facts.refunds += 1
            if receipt.deliveryLatencyMs == nil { facts.refundsBeforeDelivery += 1 }
        case "escrow.expired": facts.expiries += 1
        case "escrow.cancelled": facts.cancellations += 1
        case "escrow.disputed": facts.disputes += 1
        case "dispute.resolved":
            guard let bps = refundBps(receipt) else { return }
            facts.disputesResolved += 1
            let lost = role == .provider ? bps >= providerLosesAtBps : bps < providerLosesAtBps
            if lost { facts.disputesLost += 1 }
            if role == .payer && bps == 0 { facts.frivolousDisputes += 1 }
        default:
            if isSettlement(receipt) { complete(receipt, &facts) }
        }
    }

    /// A completed payment outside escrow: any `<subject>.settled` receipt with outcome `settled`
    /// (`reservation.settled`, `payment.settled`, `channel.settled`).
    public static func isSettlement(_ receipt: Receipt) -> Bool {
        receipt.outcome == "settled" && receipt.kind.hasSuffix(".settled")
    }

    /// A resolution's refund share, 0–10000, or nil when the receipt has none (it then counts for nothing).
    static func refundBps(_ receipt: Receipt) -> UInt64? {
        guard let bps = receipt.refundBps, (0...10_000).contains(bps) else { return nil }
        return UInt64(bps)
    }

    private static func complete(_ receipt: Receipt, _ facts: inout RoleFacts) {
        facts.completed += 1
        let total = facts.volume[receipt.asset.name, default: 0]
        facts.volume[receipt.asset.name] = min(Amount.maxUnits, total + receipt.amount.units)
    }
}
