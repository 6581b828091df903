import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// A dispute over the fixture escrow, with four registered arbiters named a1…a4 (keys from TestKeys).
enum DisputeFixture {
    static let arbiterNames = ["a1", "a2", "a3", "a4"]
    static let arbiters = arbiterNames.map { try! PartyID(validating: "pty_\($0)") }
    static func key(_ arbiter: PartyID) -> Ed25519.SecretKey { TestKeys.secretKey(arbiter.rawValue) }
    static let policy = DisputePolicy()
    static let opened = EscrowFixture.later
    /// Kura's key in the fixture: it signs the panel seeds.
    static let kura = TestKeys.secretKey("service")
    static func context(for arbiter: PartyID? = nil) -> DisputeContext {
        DisputeContext(
            policy: policy, arbiters: arbiters, arbiterKey: arbiter.map { key($0).publicKey },
            seeder: PanelSeeder(key: kura))
    }

    /// The events that open a dispute over an escrow of `amount` units.
    static func openingEvents(amount: UInt64 = 500_000) throws -> [DisputeEvent] {
        let escrow = Escrow.fold([EscrowFixture.locked(amount: amount), EscrowFixture.delivered])!
        return try Dispute.decideOpen(
            id: EscrowFixture.disputeId, escrow: escrow, reason: "wrong quarter", evidence: [], statement: nil,
            now: opened, context: context())
    }

    /// A freshly opened dispute over an escrow of `amount` units.
    static func open(amount: UInt64 = 500_000) throws -> Dispute {
        try #require(Dispute.fold(try openingEvents(amount: amount)))
    }

    /// The dispute after the payee answered at `opened + 1 h`: deliberating.
    static func deliberating(amount: UInt64 = 500_000) throws -> Dispute {
        var dispute = try open(amount: amount)
        try run(
            &dispute, .addEvidence([EscrowFixture.evidence], statement: "it was right"), by: EscrowFixture.payee,
            at: opened.adding(milliseconds: 3_600_000))
        return dispute
    }

    static func ruling(
        _ dispute: Dispute, by arbiter: PartyID, refundBps: Int? = nil, quality: Int? = nil, reason: String = "because",
        signer: PartyID? = nil
    ) throws -> DisputeCommand {
        let statement = RulingStatement(
            disputeId: dispute.id, round: dispute.round, arbiter: arbiter, refundBps: refundBps, quality: quality,
            reason: reason, at: opened)
        return .rule(statement, signature: try statement.signed(with: key(signer ?? arbiter)), reason: reason)
    }

    @discardableResult
    static func run(_ dispute: inout Dispute, _ command: DisputeCommand, by actor: PartyID?, at now: Timestamp)
        throws -> [DisputeEvent]
    {
        let events = try dispute.decide(command, by: actor, now: now, context: context(for: actor))
        for event in events { dispute.apply(event) }
        return events
    }
}

@Suite("disputes: panels, rulings, deadlines, appeal")
struct DisputeTests {
    typealias F = DisputeFixture
    static let hour: Int64 = 3_600_000
    static func at(_ hours: Int64) -> Timestamp { F.opened.adding(milliseconds: hours * hour) }

    @Test("panel size follows the amount tiers, never seats a side, and is the same every time")
    func panels() throws {
        #expect(try F.open(amount: 100_000).panel.count == 1)
        #expect(try F.open(amount: 100_001).panel.count == 3)
        #expect(try F.open(amount: 1_000_001).panel.count == 4)  // five wanted, four registered
        let again = try F.open()
        #expect(again.panel == (try F.open()).panel)
        let seed = PanelSeeder(key: F.kura).seed(disputeId: again.id, round: 1)
        let sides = Panel.select(
            from: F.arbiters + [EscrowFixture.payer], excluding: [EscrowFixture.payer], size: 5, seed: seed)
        #expect(!sides.contains(EscrowFixture.payer) && sides.count == 4)
        // Another dispute ID draws another order (the ranking depends on the seed).
        let other = Panel.select(
            from: F.arbiters, excluding: [], size: 4,
            seed: PanelSeeder(key: F.kura).seed(disputeId: try DisputeID(validating: "dsp_other"), round: 1))
        #expect(Set(other) == Set(F.arbiters))
    }

    @Test("every draw is seeded by Kura's signature, published in its event, and checks with Kura's public key")
    func seededDraws() throws {
        var d = try F.deliberating(amount: 500_000)  // three seats of four arbiters
        guard case .opened(let opening)? = try DisputeFixture.openingEvents().first else {
            Issue.record("no opening")
            return
        }
        let kura = F.kura.publicKey
        let seed = try #require(opening.panelSeed.flatMap { Base64.decode($0) })
        let sides: Set<PartyID> = [EscrowFixture.payer, EscrowFixture.payee]
        #expect(
            Panel.verify(
                panel: opening.panel, seed: seed, disputeId: d.id, round: 1, candidates: F.arbiters, excluding: sides,
                kuraKey: kura))
        // Another key's signature, or the right seed with another panel, does not check.
        let forged = TestKeys.secretKey("payer").signature(for: Panel.seedMessage(disputeId: d.id, round: 1))
        #expect(
            !Panel.verify(
                panel: opening.panel, seed: forged, disputeId: d.id, round: 1, candidates: F.arbiters,
                excluding: sides, kuraKey: kura))
        #expect(
            !Panel.verify(
                panel: opening.panel.reversed(), seed: seed, disputeId: d.id, round: 1, candidates: F.arbiters,
                excluding: sides, kuraKey: kura))
        // A recusal's replacement is drawn with the round's seed, and says so.
        let leaving = d.panel[0]
        let recusal = try F.run(&d, .recuse, by: leaving, at: Self.at(2))
        guard case .recused(_, let replacement?, let recusalSeed?, _)? = recusal.first else {
            Issue.record("no replacement: \(recusal)")
            return
        }
        #expect(recusalSeed == opening.panelSeed)
        #expect(
            Panel.select(
                from: F.arbiters, excluding: sides.union(opening.panel), size: 1, seed: seed) == [replacement])
        // Without Kura's seeder, no draw is made.
        let escrow = Escrow.fold([EscrowFixture.locked(amount: 500_000), EscrowFixture.delivered])!
        let refused = #expect(throws: KuraError.self) {
            try Dispute.decideOpen(
                id: EscrowFixture.disputeId, escrow: escrow, reason: "x", evidence: [], statement: nil, now: F.opened,
                context: DisputeContext(arbiters: F.arbiters))
        }
        #expect(refused?.code == .internalError)
    }

    @Test("the refund table of DESIGN section 5 and the median")
    func refundTableAndMedian() {
        let table = [(0, 10_000), (49, 10_000), (50, 7_500), (64, 7_500), (65, 3_500), (79, 3_500), (80, 0), (100, 0)]
        for (quality, bps) in table { #expect(RulingStatement.refundBps(forQuality: quality) == bps, "\(quality)") }
        #expect(Dispute.median([7_000]) == 7_000)
        #expect(Dispute.median([10_000, 0, 3_500]) == 3_500)
        #expect(Dispute.median([2_000, 7_501]) == 4_750)
    }

    @Test("every split accounts for every unit", arguments: [1, 99, 100, 12_345, 9_007_199_254_740_991] as [UInt64])
    func splits(amount: UInt64) throws {
        var rng = SplitMix64(seed: amount)
        for _ in 0..<200 {
            let bps = Int(rng.next() % 10_001)
            let (refund, payout, fee) = Dispute.split(try Amount(units: amount), refundBps: bps, fees: FeeSchedule())
            #expect(refund.units + payout.units + fee.units == amount)
            #expect(fee.units == amount / 100)
        }
    }

    @Test("a majority of the panel decides with the median; the appeal window then resolves")
    func majorityThenDeadline() throws {
        var d = try F.deliberating()
        #expect(d.state == .deliberating && d.rulingDueAt == Self.at(1 + 72))
        let (p1, p2) = (d.panel[0], d.panel[1])
        #expect(try F.run(&d, F.ruling(d, by: p1, refundBps: 2_000), by: p1, at: Self.at(2)).count == 1)
        let events = try F.run(&d, F.ruling(d, by: p2, quality: 50), by: p2, at: Self.at(3))
        guard case .decided(let decision) = events.last else { Issue.record("no decision: \(events)"); return }
        #expect(decision.refundBps == 4_750 && decision.appealDueAt == Self.at(3 + 48) && !decision.byDefault)
        #expect(throws: KuraError.self) { try F.run(&d, .deadline, by: nil, at: Self.at(3 + 48)) }
        let final = try F.run(&d, .deadline, by: nil, at: Self.at(3 + 48).adding(milliseconds: 1))
        guard case .resolved(let resolution) = final.first else { Issue.record("not resolved"); return }
        #expect(
            resolution.refund.units == 235_125 && resolution.payout.units == 259_875 && resolution.fee.units == 5_000)
        #expect(d.state == .resolved)
    }

    @Test("deadlines with no ruling: the response window, then the default, then the appeal window")
    func deadlinesWithoutRulings() throws {
        var d = try F.open()
        #expect(throws: KuraError.self) { try F.run(&d, .deadline, by: nil, at: Self.at(48)) }
        try F.run(&d, .deadline, by: nil, at: Self.at(48).adding(milliseconds: 1))
        #expect(d.state == .deliberating && d.rulingDueAt == Self.at(48 + 72))
        let decided = try F.run(&d, .deadline, by: nil, at: Self.at(48 + 72).adding(milliseconds: 1))
        guard case .decided(let decision) = decided.first else { Issue.record("no decision"); return }
        #expect(decision.byDefault && decision.refundBps == 5_000 && decision.rulings == 0)
    }

    @Test("the rulings in hand decide when the deadline passes without a majority")
    func rulingsInHand() throws {
        var d = try F.deliberating()
        try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 8_000), by: d.panel[0], at: Self.at(2))
        let decided = try F.run(&d, .deadline, by: nil, at: Self.at(1 + 72).adding(milliseconds: 1))
        guard case .decided(let decision) = decided.first else { Issue.record("no decision"); return }
        #expect(decision.refundBps == 8_000 && decision.rulings == 1 && !decision.byDefault)
    }

    /// One row per refusal: what is tried, by whom, and the code it must get.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let code: KuraError.Code
        let attempt: @Sendable (inout Dispute) throws -> Void
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "a stranger rules", code: .notOnPanel) { d in
            let stranger = F.arbiters.first { !d.panel.contains($0) }!
            try F.run(&d, F.ruling(d, by: stranger, refundBps: 0), by: stranger, at: at(2))
        },
        Refusal(name: "the payer rules", code: .notOnPanel) { d in
            try F.run(&d, F.ruling(d, by: EscrowFixture.payer, refundBps: 0), by: EscrowFixture.payer, at: at(2))
        },
        Refusal(name: "a forged signature", code: .invalidSignature) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 0, signer: d.panel[1]), by: d.panel[0], at: at(2))
        },
        Refusal(name: "a ruling naming another arbiter", code: .invalidRequest) { d in
            let statement = RulingStatement(
                disputeId: d.id, round: 1, arbiter: d.panel[1], refundBps: 0, reason: "x", at: at(2))
            let command = DisputeCommand.rule(
                statement, signature: try statement.signed(with: F.key(d.panel[0])), reason: "x")
            try F.run(&d, command, by: d.panel[0], at: at(2))
        },
        Refusal(name: "a reason that is not the signed one", code: .invalidRequest) { d in
            guard case .rule(let statement, let signature, _) = try F.ruling(d, by: d.panel[0], refundBps: 0) else {
                return
            }
            try F.run(&d, .rule(statement, signature: signature, reason: "another reason"), by: d.panel[0], at: at(2))
        },
        Refusal(name: "both refundBps and quality", code: .invalidRequest) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 0, quality: 90), by: d.panel[0], at: at(2))
        },
        Refusal(name: "refundBps above 10000", code: .invalidRequest) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 10_001), by: d.panel[0], at: at(2))
        },
        Refusal(name: "a second ruling", code: .alreadyRuled) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 0), by: d.panel[0], at: at(2))
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 100), by: d.panel[0], at: at(3))
        },
        Refusal(name: "a ruling after the deadline", code: .deadlinePassed) { d in
            try F.run(
                &d, F.ruling(d, by: d.panel[0], refundBps: 0), by: d.panel[0], at: at(1 + 72).adding(milliseconds: 1))
        },
        Refusal(name: "a recusal after ruling", code: .alreadyRuled) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 0), by: d.panel[0], at: at(2))
            try F.run(&d, .recuse, by: d.panel[0], at: at(3))
        },
        // Review findings: a recusal after the ruling deadline seated a replacement who could then read the
        // dispute, and a side could add evidence without end, each entry rewriting an ever larger dispute row.
        Refusal(name: "a recusal after the deadline", code: .deadlinePassed) { d in
            try F.run(&d, .recuse, by: d.panel[0], at: at(1 + 72).adding(milliseconds: 1))
        },
        Refusal(name: "evidence past the limit of entries per side", code: .invalidRequest) { d in
            for _ in 0..<100 {
                try F.run(
                    &d, .addEvidence([EscrowFixture.evidence], statement: nil), by: EscrowFixture.payer, at: at(2))
            }
        },
        Refusal(name: "an appeal before any decision", code: .disputeNotOpen) { d in
            try F.run(&d, .appeal(reason: nil), by: EscrowFixture.payer, at: at(2))
        },
        Refusal(name: "an appeal by an arbiter", code: .forbidden) { d in
            try F.run(&d, .appeal(reason: nil), by: d.panel[0], at: at(2))
        },
        Refusal(name: "an appeal after the window", code: .deadlinePassed) { d in
            try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 0), by: d.panel[0], at: at(2))
            try F.run(&d, F.ruling(d, by: d.panel[1], refundBps: 0), by: d.panel[1], at: at(2))
            try F.run(&d, .appeal(reason: nil), by: EscrowFixture.payee, at: at(2 + 48).adding(milliseconds: 1))
        },
        Refusal(name: "evidence from a stranger", code: .forbidden) { d in
            try F.run(&d, .addEvidence([EscrowFixture.evidence], statement: nil), by: EscrowFixture.stranger, at: at(2))
        },
        Refusal(name: "evidence that is not a digest", code: .invalidRequest) { d in
            try F.run(&d, .addEvidence(["not hex"], statement: nil), by: EscrowFixture.payer, at: at(2))
        },
        Refusal(name: "anything once resolved", code: .disputeNotOpen) { d in
            try F.run(&d, .deadline, by: nil, at: at(1 + 72).adding(milliseconds: 1))
            try F.run(&d, .deadline, by: nil, at: at(1 + 72 + 48).adding(milliseconds: 2))
            try F.run(&d, .addEvidence([EscrowFixture.evidence], statement: nil), by: EscrowFixture.payer, at: at(200))
        },
        Refusal(name: "a deadline that has not come", code: .invalidTransition) { d in
            try F.run(&d, .deadline, by: nil, at: at(2))
        },
        Refusal(name: "a deadline from a party", code: .forbidden) { d in
            try F.run(&d, .deadline, by: EscrowFixture.payer, at: at(200))
        },
    ]

    /// (That a refused command writes nothing to the log is checked by the scenario runner on every
    /// refused step of the golden scenarios.)
    @Test("every refusal has its own code", arguments: refusals)
    func refusal(_ row: Refusal) throws {
        var dispute = try F.deliberating()
        do {
            try row.attempt(&dispute)
            Issue.record("\(row.name) was accepted")
        } catch let error as KuraError {
            #expect(error.code == row.code, "\(row.name): \(error)")
        }
    }

    @Test("a recusal seats the next-ranked eligible arbiter; with none left the panel shrinks")
    func recusal() throws {
        var d = try F.deliberating()
        let spare = F.arbiters.first { !d.panel.contains($0) }!
        let leaving = d.panel[0]
        try F.run(&d, .recuse, by: leaving, at: Self.at(2))
        #expect(d.panel.contains(spare) && !d.panel.contains(leaving) && d.recused == [leaving])
        try F.run(&d, .recuse, by: d.panel[0], at: Self.at(3))
        #expect(d.panel.count == 2)
        // Two rulings of a two-seat panel are a majority.
        try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 1_000), by: d.panel[0], at: Self.at(4))
        let events = try F.run(&d, F.ruling(d, by: d.panel[1], refundBps: 3_000), by: d.panel[1], at: Self.at(5))
        #expect(events.count == 2 && d.state == .decided && d.decision?.refundBps == 2_000)
    }

    @Test("an appeal draws a larger panel without the first one, and its outcome is final")
    func appeal() throws {
        var d = try F.open(amount: 50_000)
        #expect(d.panel.count == 1)
        try F.run(&d, .addEvidence([], statement: "fine"), by: EscrowFixture.payee, at: Self.at(1))
        let first = d.panel[0]
        try F.run(&d, F.ruling(d, by: first, refundBps: 0), by: first, at: Self.at(2))
        #expect(d.state == .decided)
        let appealed = try F.run(&d, .appeal(reason: "unfair"), by: EscrowFixture.payer, at: Self.at(3))
        #expect(d.round == 2 && d.panel.count == 3 && !d.panel.contains(first) && d.formerPanel == [first])
        // The appeal panel is drawn with Kura's seed for round 2, published in the event.
        guard case .appealed(let appeal)? = appealed.first, let seed = appeal.panelSeed.flatMap({ Base64.decode($0) })
        else {
            Issue.record("no seeded appeal: \(appealed)")
            return
        }
        #expect(
            Panel.verify(
                panel: appeal.panel, seed: seed, disputeId: d.id, round: 2, candidates: F.arbiters,
                excluding: [EscrowFixture.payer, EscrowFixture.payee, first], kuraKey: F.kura.publicKey))
        try F.run(&d, F.ruling(d, by: d.panel[0], refundBps: 10_000), by: d.panel[0], at: Self.at(4))
        let last = try F.run(&d, F.ruling(d, by: d.panel[1], refundBps: 9_000), by: d.panel[1], at: Self.at(5))
        guard case .resolved(let resolution) = last.last else { Issue.record("not final"); return }
        #expect(resolution.round == 2 && resolution.refundBps == 9_500 && d.state == .resolved)
        #expect(throws: KuraError.self) { try F.run(&d, .appeal(reason: nil), by: EscrowFixture.payee, at: Self.at(6)) }
    }

    /// Review finding: an appeal was accepted even when no arbiter was left to hear it. Its round then ended with
    /// no ruling, and the default (an even split) replaced the first round's real ruling: the losing side traded
    /// a ruling for a coin toss.
    @Test("an appeal no eligible arbiter can hear is refused, and the first round's decision stands")
    func appealNobodyCanHear() throws {
        let only = F.arbiters[0]
        let context = DisputeContext(
            policy: F.policy, arbiters: [only], arbiterKey: nil, seeder: PanelSeeder(key: F.kura))
        func run(_ d: inout Dispute, _ command: DisputeCommand, by actor: PartyID?, at now: Timestamp) throws {
            var context = context
            if actor == only { context.arbiterKey = F.key(only).publicKey }
            for event in try d.decide(command, by: actor, now: now, context: context) { d.apply(event) }
        }
        let escrow = Escrow.fold([EscrowFixture.locked(amount: 50_000), EscrowFixture.delivered])!
        var d = try #require(
            Dispute.fold(
                try Dispute.decideOpen(
                    id: EscrowFixture.disputeId, escrow: escrow, reason: "wrong quarter", evidence: [], statement: nil,
                    now: F.opened, context: context)))
        #expect(d.panel == [only])
        try run(&d, .addEvidence([], statement: "fine"), by: EscrowFixture.payee, at: Self.at(1))
        try run(&d, F.ruling(d, by: only, refundBps: 0), by: only, at: Self.at(2))
        #expect(d.state == .decided)
        let refused = #expect(throws: KuraError.self) {
            try run(&d, .appeal(reason: "unfair"), by: EscrowFixture.payer, at: Self.at(3))
        }
        #expect(refused?.code == .invalidTransition, "\(String(describing: refused))")
        #expect(d.state == .decided && d.round == 1)
        try run(&d, .deadline, by: nil, at: Self.at(3 + 49))
        #expect(d.state == .resolved && d.resolution?.refundBps == 0 && d.resolution?.byDefault == false)
    }

    @Test("the payee's late answer still opens deliberation at the deadline the response window set")
    func lateAnswer() throws {
        var d = try F.open()
        let events = try F.run(
            &d, .addEvidence([EscrowFixture.evidence], statement: nil), by: EscrowFixture.payee, at: Self.at(50))
        #expect(events.first?.type == "dispute.deliberating" && d.rulingDueAt == Self.at(48 + 72))
    }

    @Test("events survive the log: payload round trip")
    func payloads() throws {
        var d = try F.deliberating()
        var all: [DisputeEvent] = []
        all += try F.run(&d, .recuse, by: d.panel[0], at: Self.at(2))
        all += try F.run(&d, F.ruling(d, by: d.panel[0], quality: 90), by: d.panel[0], at: Self.at(3))
        all += try F.run(&d, F.ruling(d, by: d.panel[1], refundBps: 100), by: d.panel[1], at: Self.at(4))
        // Every arbiter of the fixture has sat on `d` now: the appeal comes from a smaller dispute, heard by others.
        var small = try F.open(amount: 50_000)
        try F.run(&small, .addEvidence([], statement: "fine"), by: EscrowFixture.payee, at: Self.at(1))
        try F.run(&small, F.ruling(small, by: small.panel[0], refundBps: 0), by: small.panel[0], at: Self.at(2))
        all += try F.run(&small, .appeal(reason: "x"), by: EscrowFixture.payer, at: Self.at(5))
        #expect(all.last?.type == "dispute.appealed")
        for event in all {
            #expect(try DisputeEvent(type: event.type, payload: event.payload) == event, "\(event.type)")
        }
        #expect(throws: KuraError.self) { try DisputeEvent(type: "dispute.nope", payload: [:]) }
    }
}
