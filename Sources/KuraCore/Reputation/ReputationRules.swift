/// What each receipt says about its payee (as provider) and its payer (as payer): the evidence it adds and
/// the counts it moves. Docs/reputation.md section 2 is this file in words. Every kind of every aggregate has
/// a meaning here (``meaning(_:)``, exhaustive); a kind this version does not know (a newer server's receipt
/// file) adds nothing and counts nothing.
public enum ReputationRules {
    /// Basis points in a whole.
    static let wholeBps: UInt64 = 10_000
    /// A dispute resolved with at least this refund share is lost by the provider; below it, by the payer.
    public static let providerLosesAtBps: UInt64 = 5_000

    /// What a receipt's kind means to reputation.
    enum Meaning {
        case locked, delivered, released, refunded, expired, cancelled, disputed, disputeResolved
        /// A completed payment outside escrow.
        case settlement
        /// Counts for nothing.
        case nothing
    }

    /// The meaning of every receipt kind, or nil for a kind this version does not know (it counts for nothing).
    /// Exhaustive, with no `default:`: an event kind added or renamed in its aggregate is a compile error here
    /// until it is given a meaning, so no kind drops out of reputation unseen.
    static func meaning(_ kind: ReceiptKind) -> Meaning {
        switch kind {
        case .escrow(.locked): .locked
        case .escrow(.delivered): .delivered
        case .escrow(.released): .released
        case .escrow(.refunded): .refunded
        case .escrow(.expired): .expired
        case .escrow(.cancelled): .cancelled
        case .escrow(.disputed): .disputed
        // The `dispute.resolved` receipt of the same command carries the resolution's facts.
        case .escrow(.resolved): .nothing
        case .dispute(.resolved): .disputeResolved
        case .dispute(.opened), .dispute(.evidenceAdded), .dispute(.deliberating), .dispute(.recused),
            .dispute(.ruled), .dispute(.decided), .dispute(.appealed), .dispute(.closed):
            .nothing
        case .reservation(.settled), .payment(.settled), .channel(.settled), .solana(.settled), .chain(.settled):
            .settlement
        case .reservation(.reserved), .reservation(.voided), .channel(.opened), .channel(.toppedUp),
            .channel(.closing), .channel(.closed), .solana(.submitted), .solana(.failed), .withdrawal(.requested),
            .withdrawal(.completed), .withdrawal(.failed):
            .nothing
        }
    }

    /// The meaning of `receipt`'s kind; a kind this version does not know counts for nothing.
    static func meaning(of receipt: Receipt) -> Meaning {
        receipt.receiptKind.map(meaning) ?? .nothing
    }

    /// The positive and negative evidence (micro-units, before the counterparty cap) of `receipt` for the
    /// party in `role`.
    public static func evidence(_ receipt: Receipt, as role: ReputationRole) -> (positive: UInt64, negative: UInt64) {
        let w = ReputationModel.weight(receipt.amount)
        switch (meaning(of: receipt), role) {
        case (.released, .provider):
            // Released after a late delivery: half positive, half negative.
            return receipt.onTime == false ? (w / 2, w - w / 2) : (w, 0)
        case (.released, .payer): return (w, 0)
        case (.expired, .provider): return (0, w)
        case (.refunded, .provider):
            // Conceding a dispute weighs as much as losing it; any other refund half as much.
            return receipt.disputed ? (0, w) : (0, w / 2)
        case (.refunded, .payer):
            // The payee gave in to the payer's dispute: the dispute was justified.
            return receipt.disputed ? (w, 0) : (0, 0)
        case (.disputeResolved, _):
            guard let bps = refundBps(receipt) else { return (0, 0) }
            let refunded = ReputationMath.mulDiv(w, bps, wholeBps)
            let kept = w - refunded
            if role == .provider { return (kept, refunded) }
            // A dispute that got nothing back is frivolous and counts twice against the payer.
            return bps == 0 ? (0, 2 * w) : (refunded, kept)
        case (.settlement, _):
            return isSettlement(receipt) ? (w, 0) : (0, 0)
        case (.expired, .payer), (.locked, _), (.delivered, _), (.cancelled, _), (.disputed, _), (.nothing, _):
            return (0, 0)
        }
    }

    /// Moves the counts of `facts` for `receipt`, seen by the party in `role`.
    public static func record(_ receipt: Receipt, as role: ReputationRole, into facts: inout RoleFacts) {
        switch meaning(of: receipt) {
        case .locked: facts.escrows += 1
        case .delivered:
            guard role == .provider else { return }
            facts.deliveries += 1
            if receipt.onTime == true { facts.onTimeDeliveries += 1 }
            if let latency = receipt.deliveryLatencyMs {
                facts.latencies[String(LatencyHistogram.bucket(latency)), default: 0] += 1
            }
        case .released: complete(receipt, &facts)
        case .refunded:
            facts.refunds += 1
            if receipt.deliveryLatencyMs == nil { facts.refundsBeforeDelivery += 1 }
        case .expired: facts.expiries += 1
        case .cancelled: facts.cancellations += 1
        case .disputed: facts.disputes += 1
        case .disputeResolved:
            guard let bps = refundBps(receipt) else { return }
            facts.disputesResolved += 1
            let lost = role == .provider ? bps >= providerLosesAtBps : bps < providerLosesAtBps
            if lost { facts.disputesLost += 1 }
            if role == .payer && bps == 0 { facts.frivolousDisputes += 1 }
        case .settlement:
            if isSettlement(receipt) { complete(receipt, &facts) }
        case .nothing: return
        }
    }

    /// A completed payment outside escrow: a `reservation.settled`, `payment.settled`, `channel.settled`,
    /// `solana.settled` or `chain.settled` receipt with outcome `settled`.
    public static func isSettlement(_ receipt: Receipt) -> Bool {
        receipt.outcome == "settled" && meaning(of: receipt) == .settlement
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
