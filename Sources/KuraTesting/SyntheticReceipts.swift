import KuraCore
import KuraCrypto

/// A seeded, realistic-looking receipt log for benchmarks and tests of reputation: payments among a set of
/// parties with every outcome the scoring knows (releases on time and late, settlements, expiries,
/// cancellations, refunds, disputes resolved at every refund share, conceded disputes) and some it ignores
/// (rulings). The same seed always gives the same receipts.
public enum SyntheticReceipts {
    /// Receipts for `payments` payments among `parties` parties, starting at `start`.
    public static func make(
        payments: Int, parties: Int = 1000, seed: UInt64, start: Timestamp = Timestamp(milliseconds: 1_750_000_000_000)
    ) throws(KuraError) -> [Receipt] {
        var random = SplitMix64(seed: seed)
        let ids = (0..<max(2, parties)).map { PartyID.derive(command: ["synthetic": .number(Double($0))], seq: seed) }
        let usdc = try Asset("USDC")
        var receipts: [Receipt] = []
        receipts.reserveCapacity(payments * 3)
        var now = start.milliseconds
        for payment in 0..<payments {
            // A quarter of the payments go to the first 2 % of parties: popular providers.
            let payer = ids[Int(random.next() % UInt64(ids.count))]
            var payee =
                random.next() % 4 == 0
                ? ids[Int(random.next() % UInt64(max(1, ids.count / 50)))] : ids[Int(random.next() % UInt64(ids.count))]
            if payee == payer { payee = ids[(ids.firstIndex(of: payer)! + 1) % ids.count] }
            // At most 2^40: always a valid amount.
            let amount = try Amount(units: 1 + random.next() % (1 << (1 + random.next() % 40)))
            let subject = "esc_synthetic\(payment)"
            func add(
                _ kind: String, _ outcome: String, latency: Int64? = nil, onTime: Bool? = nil, disputed: Bool = false,
                refundBps: Int? = nil
            ) {
                now += Int64(random.next() % 120_000)
                receipts.append(
                    Receipt(
                        index: UInt64(receipts.count), eventSeq: UInt64(receipts.count + 1),
                        eventHash: String(repeating: "0", count: 64), kind: kind, subject: subject, payer: payer,
                        payee: payee, amount: amount, asset: usdc, outcome: outcome, at: Timestamp(milliseconds: now),
                        deliveryLatencyMs: latency, onTime: onTime, disputed: disputed, refundBps: refundBps,
                        refund: refundBps.map { amount.basisPoints(UInt64($0)) }))
            }
            let fate = random.next() % 100
            if fate < 10 {
                add(fate < 5 ? "payment.settled" : "reservation.settled", "settled")
                continue
            }
            add("escrow.locked", "locked")
            switch fate {
            case 10..<18: add("escrow.expired", "expired")
            case 18..<23: add("escrow.cancelled", "cancelled")
            case 23..<28: add("escrow.refunded", "refunded")
            default:
                let late = fate >= 95
                let latency = Int64(1000 + random.next() % 3_600_000)
                add("escrow.delivered", "delivered", latency: latency, onTime: !late)
                switch fate {
                case 28..<35:
                    add("escrow.disputed", "disputed", latency: latency, onTime: !late, disputed: true)
                    let bps = Int(random.next() % 5) * 2500
                    add("dispute.ruled", "ruled", disputed: true, refundBps: bps)
                    add("dispute.resolved", "resolved", disputed: true, refundBps: bps)
                case 35..<40:
                    add("escrow.disputed", "disputed", latency: latency, onTime: !late, disputed: true)
                    add("escrow.refunded", "refunded", latency: latency, onTime: !late, disputed: true)
                default:
                    add(
                        "escrow.released", fate % 2 == 0 ? "confirmed" : "auto_released", latency: latency,
                        onTime: !late)
                }
            }
        }
        return receipts
    }
}
