import KuraCore
import KuraCrypto
import Testing

/// Fees, conservation of money on every path, and the exact time edges.
@Suite("Escrow money and time")
struct EscrowMoneyTests {
    typealias F = EscrowFixture

    struct FeeCase: Sendable, CustomTestStringConvertible {
        var amount: UInt64, bps: UInt64, fee: UInt64
        var testDescription: String { "\(amount) at \(bps) bps → fee \(fee)" }
    }

    @Test(
        "fees are amount × bps / 10000 rounded down",
        arguments: [
            FeeCase(amount: 199, bps: 50, fee: 0), FeeCase(amount: 200, bps: 50, fee: 1),
            FeeCase(amount: 10_000, bps: 50, fee: 50), FeeCase(amount: 1, bps: 10_000, fee: 1),
            FeeCase(amount: 12_345, bps: 0, fee: 0), FeeCase(amount: 9_999, bps: 100, fee: 99),
            FeeCase(amount: Amount.maxUnits, bps: 50, fee: 45_035_996_273_704),
            FeeCase(amount: Amount.maxUnits, bps: 10_000, fee: Amount.maxUnits),
            FeeCase(amount: 5, bps: 20_000, fee: 5),  // clamped: a fee never exceeds its amount
        ])
    func feeSplit(_ c: FeeCase) throws {
        let (net, fee) = FeeSchedule.split(try Amount(units: c.amount), basisPoints: c.bps)
        #expect(fee.units == c.fee)
        #expect(net.units + fee.units == c.amount)
    }

    @Test("fee schedule defaults, validation and partial decoding")
    func schedule() throws {
        let defaults = FeeSchedule()
        #expect((defaults.escrowBps, defaults.settlementBps, defaults.disputeBps) == (50, 10, 100))
        #expect(throws: KuraError.self) { try FeeSchedule(escrowBps: 10_001, settlementBps: 0, disputeBps: 0) }
        let decoded = try JSONValue.parse(#"{"escrowBps": 25}"#).decode(FeeSchedule.self)
        #expect(decoded == (try FeeSchedule(escrowBps: 25, settlementBps: 10, disputeBps: 100)))
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"disputeBps": 10001}"#).decode(FeeSchedule.self) }
    }

    /// One step of a path: who does what, when.
    typealias Step = (command: EscrowCommand, actor: PartyID?, now: Timestamp)

    static let deliver: Step = (.deliver(evidence: F.evidence), F.payee, F.deliveredAt)
    static let dispute: Step = (.dispute(reason: "wrong", evidence: [], disputeId: F.disputeId), F.payer, F.later)

    /// Every way an escrow can end (or stay held), with the final balances of payer, payee, fees and escrow.
    static let paths: [(name: String, steps: [Step], payer: Int64, payee: Int64, fees: Int64, held: Int64)] = [
        ("confirm", [deliver, (.confirm, F.payer, F.later)], 0, 9_950, 50, 0),
        (
            "auto-release", [deliver, (.autoRelease, nil, F.deliveredAt.adding(milliseconds: F.confirmWindowMs))],
            0, 9_950, 50, 0
        ),
        ("cancel", [(.cancel, F.payer, F.t0.adding(milliseconds: 5))], 10_000, 0, 0, 0),
        ("refund before delivery", [(.refund, F.payee, F.t0.adding(milliseconds: 5))], 10_000, 0, 0, 0),
        ("refund after delivery", [deliver, (.refund, F.payee, F.later)], 10_000, 0, 0, 0),
        ("refund in dispute", [deliver, dispute, (.refund, F.payee, F.later)], 10_000, 0, 0, 0),
        ("expire", [(.expire, nil, F.deliverBy.adding(milliseconds: 1))], 10_000, 0, 0, 0),
        ("dispute holds funds", [deliver, dispute], 0, 0, 0, 10_000),
    ]

    @Test("every path conserves money at every step", arguments: paths.indices)
    func conservation(_ index: Int) throws {
        let path = Self.paths[index]
        var ledger = Ledger()
        ledger.apply([.deposit(to: F.payer, asset: F.usdc, amount: try Amount(units: 10_000))])
        let context = F.context(available: UInt64(ledger.available(F.payer, F.usdc).units))
        let lock = try Escrow.decideLock(id: F.id, terms: F.terms(), by: F.payer, now: F.t0, context: context)
        ledger.apply(lock.flatMap(\.postings))
        #expect(ledger.invariantViolations().isEmpty)
        var escrow = try #require(Escrow.fold(lock))
        for step in path.steps {
            let events = try escrow.decide(step.command, by: step.actor, now: step.now, context: context)
            events.forEach { escrow.apply($0) }
            ledger.apply(events.flatMap(\.postings))
            #expect(ledger.invariantViolations() == [], "after \(step.command.name) in \(path.name)")
        }
        #expect(ledger.balance(.available(F.payer), F.usdc) == path.payer)
        #expect(ledger.balance(.available(F.payee), F.usdc) == path.payee)
        #expect(ledger.balance(.fees, F.usdc) == path.fees)
        #expect(ledger.balance(.escrowHeld(F.id), F.usdc) == path.held)
        #expect(ledger.balance(.external, F.usdc) == -10_000)
    }

    @Test("release splits every unit between payee and fees", arguments: [1, 199, 200, 10_000, Amount.maxUnits])
    func releaseAccountsForEveryUnit(units: UInt64) throws {
        let escrow = try #require(Escrow.fold([F.locked(amount: units), F.delivered]))
        let events = try escrow.decide(.confirm, by: F.payer, now: F.later, context: F.context())
        guard case .released(.confirmed, let net, let fee, _, let postings)? = events.first else {
            Issue.record("expected a release, got \(events)")
            return
        }
        #expect(net.units + fee.units == units)
        #expect(fee == FeeSchedule().escrowSplit(try Amount(units: units)).fee)
        #expect(postings.reduce(0) { $0 + $1.amount.units } == units)
        #expect(postings.allSatisfy { $0.amount.units > 0 && $0.from == .escrowHeld(F.id) })
    }

    @Test("a zero-fee schedule releases everything to the payee in one posting")
    func zeroFee() throws {
        let escrow = try #require(Escrow.fold([F.locked(), F.delivered]))
        let free = try FeeSchedule(escrowBps: 0, settlementBps: 0, disputeBps: 0)
        let events = try escrow.decide(.confirm, by: F.payer, now: F.later, context: F.context(fees: free))
        #expect(
            events.flatMap(\.postings) == [
                Posting(
                    from: .escrowHeld(F.id), to: .available(F.payee), asset: F.usdc, amount: try Amount(units: 10_000))
            ])
    }

    struct TimeCase: Sendable, CustomTestStringConvertible {
        var name: String, state: Escrow.State, command: EscrowCommand, actor: PartyID?, now: Timestamp, allowed: Bool
        var testDescription: String { name }
    }

    static let windowEnd = F.deliveredAt.adding(milliseconds: F.confirmWindowMs)
    static let disputeEnd = F.deliveredAt.adding(milliseconds: F.disputeWindowMs)
    static let deliverCommand = EscrowCommand.deliver(evidence: F.evidence)
    static let disputeCommand = EscrowCommand.dispute(reason: "late", evidence: [], disputeId: F.disputeId)

    @Test(
        "time edges are exact",
        arguments: [
            TimeCase(
                name: "deliver at deliverBy", state: .locked, command: deliverCommand, actor: F.payee,
                now: F.deliverBy, allowed: true),
            TimeCase(
                name: "deliver at deliverBy+1", state: .locked, command: deliverCommand, actor: F.payee,
                now: F.deliverBy.adding(milliseconds: 1), allowed: false),
            TimeCase(
                name: "autoRelease at window end", state: .delivered, command: .autoRelease, actor: nil,
                now: windowEnd, allowed: true),
            TimeCase(
                name: "autoRelease at window end−1", state: .delivered, command: .autoRelease, actor: nil,
                now: windowEnd.adding(milliseconds: -1), allowed: false),
            TimeCase(
                name: "expire at deliverBy", state: .locked, command: .expire, actor: nil,
                now: F.deliverBy, allowed: false),
            TimeCase(
                name: "expire at deliverBy+1", state: .locked, command: .expire, actor: nil,
                now: F.deliverBy.adding(milliseconds: 1), allowed: true),
            TimeCase(
                name: "dispute at dispute window end−1", state: .delivered, command: disputeCommand,
                actor: F.payer, now: disputeEnd.adding(milliseconds: -1), allowed: true),
            TimeCase(
                name: "dispute at dispute window end", state: .delivered, command: disputeCommand,
                actor: F.payer, now: disputeEnd, allowed: false),
            TimeCase(
                name: "confirm after the confirm window", state: .delivered, command: .confirm,
                actor: F.payer, now: windowEnd.adding(milliseconds: 1), allowed: true),
        ])
    func timeEdge(_ c: TimeCase) throws {
        let escrow = try F.escrow(in: c.state)
        let decide = { () throws(KuraError) in
            try escrow.decide(c.command, by: c.actor, now: c.now, context: F.context())
        }
        if c.allowed {
            #expect(try decide().count == 1)
        } else {
            let error = #expect(throws: KuraError.self) { try decide() }
            #expect(error?.code == .invalidTransition)
        }
    }

    @Test("lock needs the funds: exactly enough is fine, one unit short is insufficient_funds")
    func funds() throws {
        let exact = try Escrow.decideLock(id: F.id, terms: F.terms(), by: F.payer, now: F.t0, context: F.context())
        #expect(exact.count == 1)
        let error = #expect(throws: KuraError.self) {
            try Escrow.decideLock(
                id: F.id, terms: F.terms(), by: F.payer, now: F.t0, context: F.context(available: 9_999))
        }
        #expect(error?.code == .insufficientFunds)
    }

    @Test("lock stamps lockedAt and holds the full amount")
    func lockPosting() throws {
        let events = try Escrow.decideLock(id: F.id, terms: F.terms(), by: F.payer, now: F.t0, context: F.context())
        guard case .locked(let id, let terms, let postings)? = events.first else { throw KuraError(.internalError, "") }
        #expect(id == F.id && terms.lockedAt == F.t0)
        #expect(
            postings == [
                Posting(
                    from: .available(F.payer), to: .escrowHeld(F.id), asset: F.usdc, amount: try Amount(units: 10_000))
            ])
    }

    static func badTerms() -> [(String, EscrowTerms)] {
        func with(_ change: (inout EscrowTerms) -> Void) -> EscrowTerms {
            var terms = F.terms()
            change(&terms)
            return terms
        }
        return [
            ("payee is payer", with { $0.payee = F.payer }),
            ("zero amount", with { $0.amount = .zero }),
            ("deliverBy now", with { $0.deliverBy = F.t0 }),
            ("deliverBy past", with { $0.deliverBy = F.t0.adding(milliseconds: -1) }),
            ("deliverBy beyond 2^53", with { $0.deliverBy = Timestamp(milliseconds: .max) }),
            (
                "zero confirm window",
                with {
                    $0.confirmWindowMs = 0; $0.disputeWindowMs = 0
                }
            ),
            ("zero dispute window", with { $0.disputeWindowMs = 0 }),
            ("dispute window longer than confirm", with { $0.disputeWindowMs = F.confirmWindowMs + 1 }),
            ("memo of 501", with { $0.memo = String(repeating: "x", count: 501) }),
            ("memo with newline", with { $0.memo = "a\nb" }),
            ("empty resource", with { $0.resource = "" }),
            ("empty paymentId", with { $0.paymentId = "" }),
        ]
    }

    @Test("lock refuses bad terms with invalid_request", arguments: badTerms().map(\.0))
    func badLock(_ name: String) {
        let terms = Self.badTerms().first { $0.0 == name }!.1
        let error = #expect(throws: KuraError.self) {
            try Escrow.decideLock(id: F.id, terms: terms, by: F.payer, now: F.t0, context: F.context())
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a memo of exactly 500 characters and the default dispute window are accepted")
    func goodEdges() throws {
        var terms = EscrowTerms(
            payer: F.payer, payee: F.payee, amount: try Amount(units: 1), asset: F.usdc, deliverBy: F.deliverBy)
        terms.memo = String(repeating: "話", count: 500)
        #expect(terms.disputeWindowMs == EscrowTerms.defaultConfirmWindowMs)
        #expect(throws: Never.self) {
            try Escrow.decideLock(id: F.id, terms: terms, by: F.payer, now: F.t0, context: F.context())
        }
    }

    @Test(
        "bad command values are invalid_request",
        arguments: [
            EscrowCommand.deliver(evidence: String(repeating: "AB", count: 32)),
            .deliver(evidence: "abc"),
            .dispute(reason: "", evidence: [], disputeId: F.disputeId),
            .dispute(reason: "x", evidence: ["not-a-digest"], disputeId: F.disputeId),
            .dispute(reason: String(repeating: "x", count: 1001), evidence: [], disputeId: F.disputeId),
        ])
    func badValues(_ command: EscrowCommand) throws {
        let state: Escrow.State = if case .deliver = command { .locked } else { .delivered }
        let actor = if case .deliver = command { F.payee } else { F.payer }
        let escrow = try F.escrow(in: state)
        let error = #expect(throws: KuraError.self) {
            try escrow.decide(command, by: actor, now: F.later, context: F.context())
        }
        #expect(error?.code == .invalidRequest)
    }
}
