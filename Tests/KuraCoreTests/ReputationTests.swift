import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// Builds a receipt log by hand: each receipt gets the next index, so ``ReputationLedger`` accepts it.
struct ReceiptScript {
    static let t0: Int64 = 1_750_000_000_000
    static let day: Int64 = 86_400_000
    static let usdc = try! Asset("USDC")

    private(set) var receipts: [Receipt] = []

    static func party(_ name: String) -> PartyID { PartyID(unchecked: "pty_\(name)") }

    /// Adds a receipt of `kind` from `payer` to `payee`.
    mutating func add(
        _ kind: String, _ outcome: String, payer: String, payee: String, amount: UInt64 = 1_000_000, at: Int64,
        onTime: Bool? = nil, latencyMs: Int64? = nil, disputed: Bool = false, refundBps: Int? = nil
    ) {
        receipts.append(
            Receipt(
                index: UInt64(receipts.count), eventSeq: UInt64(receipts.count + 1),
                eventHash: String(repeating: "0", count: 64), kind: kind, subject: "esc_\(receipts.count)",
                payer: Self.party(payer), payee: Self.party(payee), amount: try! Amount(units: amount),
                asset: Self.usdc, outcome: outcome, at: Timestamp(milliseconds: at), deliveryLatencyMs: latencyMs,
                onTime: onTime, disputed: disputed, refundBps: refundBps))
    }

    /// A whole escrow that goes well: locked, delivered on time, confirmed.
    mutating func goodPayment(payer: String, payee: String, amount: UInt64 = 1_000_000, at: Int64) {
        add("escrow.locked", "locked", payer: payer, payee: payee, amount: amount, at: at)
        add(
            "escrow.delivered", "delivered", payer: payer, payee: payee, amount: amount, at: at + 60_000, onTime: true,
            latencyMs: 60_000)
        add(
            "escrow.released", "confirmed", payer: payer, payee: payee, amount: amount, at: at + 120_000, onTime: true,
            latencyMs: 60_000)
    }

    /// A dispute resolved with `refundBps` back to the payer.
    mutating func resolvedDispute(payer: String, payee: String, refundBps: Int, at: Int64) {
        add("escrow.locked", "locked", payer: payer, payee: payee, at: at)
        add("escrow.delivered", "delivered", payer: payer, payee: payee, at: at + 1, onTime: true, latencyMs: 1)
        add(
            "escrow.disputed", "disputed", payer: payer, payee: payee, at: at + 2, onTime: true, latencyMs: 1,
            disputed: true)
        add(
            "dispute.resolved", "resolved", payer: payer, payee: payee, at: at + 3, disputed: true,
            refundBps: refundBps)
    }

    func ledger(_ model: ReputationModel = .standard, upTo count: Int? = nil) throws -> ReputationLedger {
        var ledger = ReputationLedger(model: model)
        for receipt in receipts.prefix(count ?? receipts.count) { try ledger.fold(receipt) }
        return ledger
    }

    func report(_ name: String, _ model: ReputationModel = .standard) throws -> ReputationReport {
        try ledger(model).report(for: Self.party(name), rootHash: "")
    }
}

@Suite("Meishi reputation: integer arithmetic")
struct ReputationMathTests {
    @Test("the halving roots are the integer square-root chain from 2^63")
    func halvingRoots() {
        let roots = ReputationMath.halvingRoots
        #expect(roots.count == 16)
        #expect(roots[0] == 3_037_000_499)  // floor(2^31.5)
        #expect(roots[1] == 3_611_622_602)  // floor(sqrt(3037000499 × 2^32))
        #expect(roots.last! < 1 << 32 && roots.last! > (1 << 32) - 50_000)
        #expect(zip(roots, roots.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("a whole half-life halves exactly; fractions follow 2^-x within a few millionths")
    func decay() {
        let v: UInt64 = 1_000_000_000
        #expect(ReputationMath.decay(v, ticks: 0) == v)
        #expect(ReputationMath.decay(v, ticks: 1 << 16) == v / 2)
        #expect(ReputationMath.decay(v, ticks: 3 << 16) == v / 8)
        #expect(ReputationMath.decay(v, ticks: 64 << 16) == 0)
        #expect(ReputationMath.decay(v, ticks: 1 << 15) == 707_106_780)  // 2^-0.5, rounded down twice
        let quarter = ReputationMath.decay(v, ticks: 3 << 14)  // 2^-0.75 = 0.594603557…
        #expect((594_603_550...594_603_557).contains(quarter))
        var previous = v
        for ticks in stride(from: UInt64(1), to: 1 << 17, by: 997) {
            let value = ReputationMath.decay(v, ticks: ticks)
            #expect(value <= previous)
            previous = value
        }
    }

    @Test("ticks: 2^16 per half-life, from epoch milliseconds")
    func ticks() {
        let model = ReputationModel.standard
        #expect(model.tick(Timestamp(milliseconds: model.halfLifeMs)) == 65_536)
        #expect(model.tick(Timestamp(milliseconds: 0)) == 0)
        #expect(model.tick(Timestamp(milliseconds: -5)) == 0)
        #expect(model.tick(Timestamp(milliseconds: 1_748_856_300_000)) == 14_739_332)
    }

    @Test("weights are the bit length of the amount times 50,000")
    func weights() throws {
        #expect(ReputationModel.weight(try Amount(units: 0)) == 0)
        #expect(ReputationModel.weight(try Amount(units: 1)) == 50_000)
        #expect(ReputationModel.weight(try Amount(units: 1_000_000)) == 1_000_000)
        #expect(ReputationModel.weight(try Amount(units: Amount.maxUnits)) == 53 * 50_000)
    }

    @Test("latency buckets keep four significant bits; the median is the lower median's bucket")
    func latencies() {
        #expect(LatencyHistogram.bucket(7) == 7 && LatencyHistogram.lowerBound(7) == 7)
        for latency: Int64 in [16, 31, 100, 432_345, 86_400_000] {
            let bucket = LatencyHistogram.bucket(latency)
            let low = LatencyHistogram.lowerBound(bucket)
            #expect(low <= UInt64(latency) && UInt64(latency) - low < max(1, low / 8 + 1), "\(latency) → \(low)")
            #expect(LatencyHistogram.bucket(Int64(low)) == bucket)
        }
        let histogram: [String: UInt64] = ["5": 1, String(LatencyHistogram.bucket(1000)): 2, "9": 1]
        #expect(LatencyHistogram.median(histogram) == 9)
        #expect(LatencyHistogram.median([:]) == nil)
    }
}

@Suite("Meishi reputation: scores")
struct ReputationScoreTests {
    typealias S = ReceiptScript

    @Test("no evidence: 500, lower bound 0, unrated")
    func empty() throws {
        let report = try ReceiptScript().report("nobody")
        #expect(report.provider.score == 500 && report.provider.tier == "unrated")
        #expect(report.provider.lowerBound == 0)
        #expect(report.checkpoint.size == 0 && report.asOf == nil)
    }

    @Test("the worked example of Docs/reputation.md")
    func workedExample() throws {
        var script = ReceiptScript()
        for (n, name) in ["ann", "ben", "cid", "dee", "eve", "fay"].enumerated() {
            script.goodPayment(payer: name, payee: "bob", at: S.t0 + Int64(n) * S.day)
        }
        script.add("escrow.locked", "locked", payer: "gus", payee: "bob", at: S.t0 + 6 * S.day)
        script.add("escrow.expired", "expired", payer: "gus", payee: "bob", at: S.t0 + 7 * S.day)
        let report = try script.report("bob")
        // The same numbers as the Python reference of Docs/reputation.md prints.
        #expect(report.provider.evidence == ["positive": 5_796_162, "negative": 1_000_000])
        #expect(report.provider.score == 772)
        #expect(report.provider.lowerBound == 506)
        #expect(report.provider.tier == "fair")
        #expect(report.provider.facts["releases"] == 6 && report.provider.facts["expiries"] == 1)
        #expect(report.provider.facts["deliveryRatePermille"] == 857)
        #expect(report.provider.facts["medianDeliveryLatencyMs"] == 57_344)
        #expect(report.payer.facts["escrows"] == 0)
        // Rates without a denominator are left out, never null.
        #expect(report.payer.facts["disputeRatePermille"] == nil)
        let text = String(decoding: try report.canonicalBytes(), as: UTF8.self)
        #expect(!text.contains("null"))
        let ann = try script.report("ann")
        #expect(ann.payer.facts["paymentsCompleted"] == 1 && ann.payer.tier == "unrated")
    }

    @Test("wash trading: 1,000 trades between two parties stay unrated; ten honest counterparties reach excellent")
    func washTrading() throws {
        var wash = ReceiptScript()
        for n in 0..<1000 { wash.goodPayment(payer: "sock", payee: "shill", at: S.t0 + Int64(n) * 60_000) }
        let shill = try wash.report("shill").provider
        #expect(shill.tier == "unrated")
        #expect(shill.evidence["positive"]! <= ReputationModel.standard.counterpartyCap)
        #expect(shill.facts["releases"] == 1000)

        var honest = ReceiptScript()
        for n in 0..<30 { honest.goodPayment(payer: "buyer\(n % 10)", payee: "shop", at: S.t0 + Int64(n) * 60_000) }
        let shop = try honest.report("shop").provider
        #expect(shop.tier == "excellent")
        #expect(shop.lowerBound > shill.lowerBound)
        let rank = RoleScore.tiers.map(\.name)
        #expect(rank.firstIndex(of: shop.tier)! < (rank.firstIndex(of: shill.tier) ?? rank.count))
    }

    @Test("a provider who loses disputes drops; one who wins them does not")
    func losingDisputes() throws {
        var script = ReceiptScript()
        for n in 0..<30 { script.goodPayment(payer: "buyer\(n % 10)", payee: "shop", at: S.t0 + Int64(n) * 60_000) }
        let before = try script.report("shop").provider
        var won = script
        var lost = script
        for n in 0..<5 {
            won.resolvedDispute(payer: "angry\(n)", payee: "shop", refundBps: 0, at: S.t0 + S.day + Int64(n) * 1000)
            lost.resolvedDispute(
                payer: "angry\(n)", payee: "shop", refundBps: 10_000, at: S.t0 + S.day + Int64(n) * 1000)
        }
        let afterLoss = try lost.report("shop").provider
        let afterWin = try won.report("shop").provider
        #expect(afterLoss.score < before.score - 100)
        #expect(afterLoss.tier != "excellent")
        #expect(afterLoss.facts["disputesLost"] == 5 && afterLoss.facts["disputes"] == 5)
        #expect(afterWin.score >= before.score && afterWin.tier == "excellent")
        // The payers who lost (refundBps 0) filed frivolous disputes.
        let angry = try won.report("angry0").payer
        #expect(angry.facts["frivolousDisputes"] == 1 && angry.facts["disputesLost"] == 1)
        #expect(angry.evidence["negative"] == 2 * ReputationModel.weight(try Amount(units: 1_000_000)))
        #expect(try lost.report("angry0").payer.evidence["positive"] == 1_000_000)
    }

    @Test("decay: the same evidence a year later weighs less, and the provider falls back to unrated")
    func decayLowersStaleEvidence() throws {
        var script = ReceiptScript()
        for n in 0..<30 { script.goodPayment(payer: "buyer\(n % 10)", payee: "shop", at: S.t0 + Int64(n) * 60_000) }
        let fresh = try script.report("shop").provider
        // Time moves on through other parties' receipts only.
        script.goodPayment(payer: "x", payee: "y", at: S.t0 + 90 * S.day)
        let ninety = try script.report("shop").provider
        script.goodPayment(payer: "x", payee: "y", at: S.t0 + 450 * S.day)
        let stale = try script.report("shop").provider
        let positive = { (score: RoleScore) in score.evidence["positive"]! }
        // About one half-life later: half the weight, to within 0.1 %.
        #expect(positive(ninety) < positive(fresh) / 2 + 15_000 && positive(ninety) > positive(fresh) / 2 - 15_000)
        #expect(positive(stale) < positive(fresh) / 30)
        #expect(stale.tier == "unrated" && fresh.tier == "excellent")
        #expect(stale.facts["releases"] == 30, "counts do not decay")
        // A shorter half-life decays faster.
        let quick = try script.report("shop", ReputationModel(halfLifeMs: 30 * S.day)).provider
        #expect(positive(quick) < positive(stale))
    }

    @Test("settlements count as completed payments; unknown kinds and self-payments count for nothing")
    func kinds() throws {
        var script = ReceiptScript()
        script.add("payment.settled", "settled", payer: "a", payee: "b", at: S.t0)
        script.add("reservation.settled", "settled", payer: "a", payee: "b", at: S.t0 + 1)
        script.add("reservation.voided", "voided", payer: "a", payee: "b", at: S.t0 + 2)
        script.add("dispute.ruled", "ruled", payer: "a", payee: "b", at: S.t0 + 3, refundBps: 10_000)
        script.add("escrow.frobnicated", "frobnicated", payer: "a", payee: "b", at: S.t0 + 4)
        script.add("escrow.released", "confirmed", payer: "c", payee: "c", at: S.t0 + 5, onTime: true)
        let b = try script.report("b")
        #expect(b.provider.facts["releases"] == 2 && b.provider.evidence["negative"] == 0)
        #expect(b.provider.evidence["positive"] == 2_000_000)
        #expect(try script.report("a").payer.facts["paymentsCompleted"] == 2)
        #expect(try script.report("c").provider.facts["releases"] == 0)
        #expect(b.checkpoint.size == 6 && b.asOf == Timestamp(milliseconds: S.t0 + 5))
    }

    @Test("a late delivery released weighs half; expiries and refunds weigh against the provider")
    func negativeOutcomes() throws {
        var script = ReceiptScript()
        script.add("escrow.released", "confirmed", payer: "a", payee: "b", at: S.t0, onTime: false, latencyMs: 9)
        script.add("escrow.refunded", "refunded", payer: "a", payee: "c", at: S.t0)
        script.add("escrow.refunded", "refunded", payer: "a", payee: "d", at: S.t0, latencyMs: 5, disputed: true)
        script.add("escrow.expired", "expired", payer: "a", payee: "e", at: S.t0)
        #expect(try script.report("b").provider.evidence == ["positive": 500_000, "negative": 500_000])
        #expect(try script.report("c").provider.evidence == ["positive": 0, "negative": 500_000])
        #expect(try script.report("d").provider.evidence == ["positive": 0, "negative": 1_000_000])
        #expect(try script.report("e").provider.evidence == ["positive": 0, "negative": 1_000_000])
        let payer = try script.report("a").payer
        #expect(payer.evidence == ["positive": 2_000_000, "negative": 0])
    }

    @Test("the counterparty cap holds for negative evidence too, so nobody can bury a provider alone")
    func negativeCap() throws {
        var script = ReceiptScript()
        for n in 0..<50 {
            script.add("escrow.expired", "expired", payer: "griefer", payee: "shop", at: S.t0 + Int64(n))
        }
        #expect(try script.report("shop").provider.evidence["negative"] == 3_000_000)
    }

    @Test("the ledger refuses receipts out of order; a one-party ledger equals the full one for that party")
    func ordering() throws {
        var script = ReceiptScript()
        for n in 0..<20 { script.goodPayment(payer: "p\(n % 4)", payee: "q\(n % 3)", at: S.t0 + Int64(n) * S.day) }
        var ledger = ReputationLedger()
        #expect(throws: KuraError.self) { try ledger.fold(script.receipts[1]) }
        let full = try script.ledger()
        for name in ["p0", "q1", "q2"] {
            var one = ReputationLedger(only: S.party(name))
            for receipt in script.receipts { try one.fold(receipt) }
            #expect(one.report(for: S.party(name), rootHash: "r") == full.report(for: S.party(name), rootHash: "r"))
        }
    }
}

@Suite("Meishi reputation: attestations")
struct ReputationAttestationTests {
    @Test("an attestation verifies with Kura's key and names the first check that fails")
    func signAndVerify() throws {
        var script = ReceiptScript()
        script.goodPayment(payer: "a", payee: "b", at: ReceiptScript.t0)
        var tree = InMemoryMerkleNodes()
        for receipt in script.receipts { _ = tree.append(leaf: try receipt.leafBytes()) }
        let report = try script.ledger().report(for: ReceiptScript.party("b"), rootHash: Base64.encode(tree.root))
        let signer = TestKeys.serviceSigner
        let note = try Checkpoint(origin: signer.name, size: 3, rootHash: tree.root).signed(by: signer)
        let attestation = try ReputationAttestation.sign(report, checkpointNote: note, signer: signer)
        try attestation.verify(with: signer.verifier)

        func check(_ tampered: ReputationAttestation, _ expected: String) {
            let error = #expect(throws: KuraError.self) { try tampered.verify(with: signer.verifier) }
            #expect(error?.detail.hasPrefix(expected) == true, "\(error?.detail ?? "")")
        }
        var score = attestation
        score.reputation.provider.score += 1
        check(score, "signature")
        let other = try NoteSigner(name: "other.kura/log", key: TestKeys.secretKey("other"))
        check(try ReputationAttestation.sign(report, checkpointNote: note, signer: other), "key_name")
        var size = attestation
        size.checkpoint = try Checkpoint(origin: signer.name, size: 2, rootHash: tree.root).signed(by: signer)
        check(size, "checkpoint")
    }
}
