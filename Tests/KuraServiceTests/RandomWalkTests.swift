import KuraCore
import KuraService
import KuraStore
import KuraTesting
import Testing

/// A reference model of the escrow rules of DESIGN section 5, written here independently of KuraCore's
/// `decide`: it predicts whether each command is accepted (or the error code that refuses it) and the
/// postings it makes, into its own `Ledger`.
struct ReferenceModel {
    struct EscrowRecord {
        let id: EscrowID
        let payer: PartyID
        let payee: PartyID
        let amount: UInt64
        let asset: Asset
        let deliverBy: Int64
        let confirmWindowMs: Int64
        let disputeWindowMs: Int64
        var state: Escrow.State
        var deliveredAt: Int64?

        var isOpen: Bool { state == .locked || state == .delivered || state == .disputed }
        var held: AccountName { .escrowHeld(id) }
    }

    static let feeBps: UInt64 = 50

    var parties: [Party] = []
    var escrows: [EscrowID: EscrowRecord] = [:]
    var escrowOrder: [EscrowID] = []
    var ledger = Ledger()

    func isOperator(_ id: PartyID) -> Bool {
        parties.first { $0.id == id }?.roles.contains(.operator) ?? false
    }

    func available(_ id: PartyID, _ asset: Asset) -> UInt64 {
        UInt64(max(0, ledger.balance(.available(id), asset)))
    }

    func held(_ id: PartyID, _ asset: Asset) -> UInt64 {
        escrows.values.filter { $0.payer == id && $0.asset == asset && $0.isOpen }.reduce(0) { $0 + $1.amount }
    }

    /// Who alone may take each action.
    static func allowed(_ action: EscrowAction, _ escrow: EscrowRecord) -> PartyID {
        switch action {
        case .confirm, .dispute, .cancel: escrow.payer
        case .deliver, .refund: escrow.payee
        }
    }

    /// The refusal of `action` by `actor` at `now`, or nil when it is accepted.
    func refusal(_ action: EscrowAction, _ escrow: EscrowRecord, by actor: PartyID, now: Int64) -> KuraError.Code? {
        guard actor == Self.allowed(action, escrow) else { return .forbidden }
        switch (action, escrow.state) {
        case (.deliver, .locked): return now <= escrow.deliverBy ? nil : .invalidTransition
        case (.confirm, .delivered): return nil
        case (.dispute, .delivered):
            return now < escrow.deliveredAt! + escrow.disputeWindowMs ? nil : .invalidTransition
        case (.cancel, .locked): return nil
        case (.refund, .locked), (.refund, .delivered), (.refund, .disputed): return nil
        default: return .invalidTransition
        }
    }

    /// Applies an accepted action.
    mutating func apply(_ action: EscrowAction, to id: EscrowID, now: Int64) {
        var escrow = escrows[id]!
        switch action {
        case .deliver:
            escrow.state = .delivered
            escrow.deliveredAt = now
        case .confirm: release(&escrow)
        case .dispute: escrow.state = .disputed
        case .cancel: giveBack(&escrow, .cancelled)
        case .refund: giveBack(&escrow, .refunded)
        }
        escrows[id] = escrow
    }

    /// What the sweeper must do at `now`: expire undelivered escrows past their deadline, release delivered
    /// ones whose confirm window has ended.
    func due(now: Int64) -> (expire: Set<EscrowID>, release: Set<EscrowID>) {
        var expire: Set<EscrowID> = []
        var release: Set<EscrowID> = []
        for escrow in escrows.values {
            if escrow.state == .locked && now > escrow.deliverBy { expire.insert(escrow.id) }
            if escrow.state == .delivered && now >= escrow.deliveredAt! + escrow.confirmWindowMs {
                release.insert(escrow.id)
            }
        }
        return (expire, release)
    }

    mutating func sweep(now: Int64) {
        let (expire, release) = due(now: now)
        for id in expire {
            var escrow = escrows[id]!
            giveBack(&escrow, .expired)
            escrows[id] = escrow
        }
        for id in release {
            var escrow = escrows[id]!
            self.release(&escrow)
            escrows[id] = escrow
        }
    }

    private mutating func release(_ escrow: inout EscrowRecord) {
        let fee = escrow.amount * Self.feeBps / 10_000
        var postings: [Posting] = []
        if escrow.amount - fee > 0 {
            postings.append(posting(escrow.held, .available(escrow.payee), escrow.asset, escrow.amount - fee))
        }
        if fee > 0 { postings.append(posting(escrow.held, .fees, escrow.asset, fee)) }
        ledger.apply(postings)
        escrow.state = .released
    }

    private mutating func giveBack(_ escrow: inout EscrowRecord, _ state: Escrow.State) {
        ledger.apply([posting(escrow.held, .available(escrow.payer), escrow.asset, escrow.amount)])
        escrow.state = state
    }

    func posting(_ from: AccountName, _ to: AccountName, _ asset: Asset, _ units: UInt64) -> Posting {
        Posting(from: from, to: to, asset: asset, amount: try! Amount(units: units))
    }
}

/// A seeded random walk over the service, checked against the reference model after every step.
struct RandomWalk {
    static let assets = [usdc, try! Asset("EURC")]

    let db: TestDatabase
    let checkEveryStep: Bool
    var rng: SplitMix64
    var model = ReferenceModel()
    /// Built only from the postings in the log.
    var logLedger = Ledger()
    var lastSeq: UInt64 = 0
    var step = 0
    var registered = 0
    /// `<command>.<ok | error code>` → how many times.
    var counts: [String: Int] = [:]

    var service: KuraService { db.service }
    var now: Int64 { db.clock.now.milliseconds }

    init(db: TestDatabase, seed: UInt64, checkEveryStep: Bool) {
        self.db = db
        self.rng = SplitMix64(seed: seed)
        self.checkEveryStep = checkEveryStep
        model.parties = [db.operatorParty]
    }

    // MARK: Running

    mutating func run(steps: Int) async throws {
        lastSeq = try await service.store.head().seq
        for _ in 0..<3 {
            try await register(by: db.operatorParty, roles: [.agent, .provider])
            try await check(refused: false)
        }
        for n in 1...steps {
            step = n
            db.clock.advance(by: Int64.random(in: 0..<5_000, using: &rng))
            let head = try await service.store.head()
            let refused: Bool
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<5: refused = try await registerRandomly()
            case 5..<17: refused = try await moveFunds(deposit: true)
            case 17..<24: refused = try await moveFunds(deposit: false)
            case 24..<46: refused = try await open()
            case 46..<94: refused = try await act()
            default: refused = try await sweep()
            }
            if refused {
                try #require(try await service.store.head() == head, "step \(n): a refused command wrote to the log")
            }
            try await check(refused: refused)
        }
    }

    /// Compares the service's read models, the log's postings and the model.
    mutating func check(refused: Bool) async throws {
        guard checkEveryStep else { return }
        let violations = try await service.ledgerViolations()
        try #require(violations.isEmpty, "step \(step): \(violations)")
        while true {
            let page = try await service.store.events(after: lastSeq, limit: 500)
            guard let last = page.last else { break }
            for event in page { logLedger.apply(try postings(of: event)) }
            lastSeq = last.seq
        }
        try #require(logLedger.invariantViolations().isEmpty, "step \(step): \(logLedger.invariantViolations())")
        try #require(logLedger == model.ledger, "step \(step): the log's ledger differs from the model's")
        for party in model.parties {
            let view = try await service.account(party.id, by: db.operatorPrincipal)
            for asset in Self.assets {
                let line = view.balances.first { $0.asset == asset }
                let expected = (model.available(party.id, asset), model.held(party.id, asset))
                try #require(
                    (line?.available ?? 0) == expected.0 && (line?.held ?? 0) == expected.1,
                    "step \(step): \(party.id) \(asset): service \(String(describing: line)), model \(expected)")
            }
        }
    }

    /// Final checks: every escrow's state, replay equals live, the chain verifies.
    func finish() async throws {
        for id in model.escrowOrder {
            #expect(try await service.escrow(id, by: db.operatorPrincipal).state == model.escrows[id]!.state, "\(id)")
        }
        let head = try await service.store.head()
        let replay = try await service.replay()
        #expect(replay.before == replay.after)
        #expect(replay.events == head.seq)
        let report = try await service.store.verify()
        #expect(report.isValid)
        #expect(report.count == head.seq)
        #expect(report.head == head)
        #expect(try await service.ledgerViolations() == [])
    }

    // MARK: Choices

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }

    mutating func anyParty() -> Party { model.parties.randomElement(using: &rng)! }

    mutating func anOperator() -> Party {
        model.parties.filter { $0.roles.contains(.operator) }.randomElement(using: &rng)!
    }

    /// Mostly plausible amounts, sometimes zero, sometimes more than there is.
    mutating func amount(available: UInt64) -> UInt64 {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<6: 0
        case 6..<20: available + UInt64.random(in: 1...1_000, using: &rng)
        case 20..<23: Amount.maxUnits
        case 23..<30: available
        default: UInt64.random(in: 1...max(1, available / 3), using: &rng)
        }
    }

    mutating func asset() -> Asset { chance(85) ? Self.assets[0] : Self.assets[1] }

    /// Runs one service call; returns the KuraError that refused it, or nil.
    func attempt(_ body: () async throws -> Void) async throws -> KuraError? {
        do {
            try await body()
            return nil
        } catch let error as KuraError {
            return error
        }
    }

    /// Checks the service's answer against the model's prediction; returns whether it was refused.
    mutating func expect(_ command: String, predicted: KuraError.Code?, actual: KuraError?) throws -> Bool {
        try #require(
            predicted == actual?.code,
            "step \(step) \(command): model predicted \(predicted?.rawValue ?? "accept"), service said \(actual?.description ?? "accept")"
        )
        counts["\(command.prefix { $0 != " " }).\(actual?.code.rawValue ?? "ok")", default: 0] += 1
        return actual != nil
    }

    // MARK: Commands

    mutating func registerRandomly() async throws -> Bool {
        let actor = chance(80) ? anOperator() : anyParty()
        var roles = Party.Role.allCases.filter { $0 != .operator && chance(50) }
        if chance(12) { roles.append(.operator) }
        if roles.isEmpty { roles = [.agent] }
        return try await register(by: actor, roles: roles)
    }

    @discardableResult
    mutating func register(by actor: Party, roles: [Party.Role]) async throws -> Bool {
        registered += 1
        let name = "walker-\(registered)"
        let predicted: KuraError.Code? = model.isOperator(actor.id) ? nil : .forbidden
        var registration: PartyRegistration?
        let error = try await attempt {
            registration = try await service.registerParty(
                RegisterPartyRequest(name: name, roles: roles, publicKey: TestKeys.publicKey(name).base64),
                by: db.principal(actor), idempotencyKey: nil
            ).value
        }
        let refused = try expect("register by \(actor.id)", predicted: predicted, actual: error)
        if let registration {
            try #require(registration.party.name == name && registration.party.roles == Set(roles))
            try #require(registration.apiKey != nil)
            model.parties.append(registration.party)
        }
        return refused
    }

    mutating func moveFunds(deposit: Bool) async throws -> Bool {
        let actor = chance(80) ? anOperator() : anyParty()
        let target = anyParty()
        let asset = asset()
        let available = model.available(target.id, asset)
        let units =
            deposit ? (chance(5) ? 0 : UInt64.random(in: 1...500_000, using: &rng)) : amount(available: available)
        let predicted: KuraError.Code? =
            if !model.isOperator(actor.id) { .forbidden } else if units == 0 {
                .invalidRequest
            } else if !deposit && units > available { .insufficientFunds } else { nil }
        let request = FundsRequest(asset: asset, amount: try Amount(units: units))
        let principal = db.principal(actor)
        let error = try await attempt {
            if deposit {
                _ = try await service.deposit(request, to: target.id, by: principal, idempotencyKey: nil)
            } else {
                _ = try await service.withdraw(request, from: target.id, by: principal, idempotencyKey: nil)
            }
        }
        let refused = try expect(deposit ? "deposit" : "withdraw", predicted: predicted, actual: error)
        if !refused {
            model.ledger.apply([
                deposit
                    ? .deposit(to: target.id, asset: asset, amount: request.amount)
                    : .withdrawal(from: target.id, asset: asset, amount: request.amount)
            ])
        }
        return refused
    }

    mutating func open() async throws -> Bool {
        let payer = anyParty()
        let payee = chance(5) ? payer : anyParty()
        let asset = asset()
        let units = amount(available: model.available(payer.id, asset))
        let deliverBy =
            chance(8)
            ? now - Int64.random(in: 0...60_000, using: &rng) : now + Int64.random(in: 1...7_200_000, using: &rng)
        let confirmWindow = Int64.random(in: 60_000...7_200_000, using: &rng)
        let disputeWindow: Int64? = chance(50) ? nil : Int64.random(in: 1...confirmWindow, using: &rng)
        let predicted: KuraError.Code? =
            if payer.id == payee.id || units == 0 || deliverBy <= now {
                .invalidRequest
            } else if units > model.available(payer.id, asset) { .insufficientFunds } else { nil }
        var escrow: Escrow?
        let request = OpenEscrowRequest(
            payee: payee.id, amount: try Amount(units: units), asset: asset,
            deliverBy: Timestamp(milliseconds: deliverBy),
            confirmWindowMs: confirmWindow, disputeWindowMs: disputeWindow)
        let error = try await attempt {
            escrow = try await service.openEscrow(request, by: db.principal(payer), idempotencyKey: nil).value
        }
        let refused = try expect("open", predicted: predicted, actual: error)
        if let escrow {
            try #require(
                escrow.state == .locked && escrow.terms.payer == payer.id && escrow.terms.payee == payee.id
                    && escrow.terms.amount.units == units && escrow.terms.lockedAt.milliseconds == now)
            let record = ReferenceModel.EscrowRecord(
                id: escrow.id, payer: payer.id, payee: payee.id, amount: units, asset: asset, deliverBy: deliverBy,
                confirmWindowMs: confirmWindow, disputeWindowMs: disputeWindow ?? confirmWindow, state: .locked)
            model.escrows[escrow.id] = record
            model.escrowOrder.append(escrow.id)
            model.ledger.apply([model.posting(.available(payer.id), record.held, asset, units)])
        }
        return refused
    }

    mutating func act() async throws -> Bool {
        let open = model.escrowOrder.filter { model.escrows[$0]!.isOpen }
        guard let id = (chance(85) && !open.isEmpty ? open : model.escrowOrder).randomElement(using: &rng) else {
            return try await self.open()
        }
        let escrow = model.escrows[id]!
        let action = [EscrowAction.deliver, .deliver, .deliver, .confirm, .confirm, .dispute, .cancel, .refund]
            .randomElement(using: &rng)!
        let actorID = chance(75) ? ReferenceModel.allowed(action, escrow) : anyParty().id
        let actor = model.parties.first { $0.id == actorID }!
        let predicted = model.refusal(action, escrow, by: actorID, now: now)
        var result: Escrow?
        let error = try await attempt {
            result = try await service.act(
                on: id, action, body: body(for: action), by: db.principal(actor), idempotencyKey: nil
            ).value
        }
        let refused = try expect(action.rawValue, predicted: predicted, actual: error)
        if let result {
            model.apply(action, to: id, now: now)
            try #require(result.state == model.escrows[id]!.state, "step \(step): \(action) left \(result.state)")
        }
        if checkEveryStep {
            try #require(try await service.escrow(id, by: db.operatorPrincipal).state == model.escrows[id]!.state)
        }
        return refused
    }

    mutating func sweep() async throws -> Bool {
        if chance(60) { db.clock.advance(by: Int64.random(in: 0...1_800_000, using: &rng)) }
        let due = model.due(now: now)
        let report = try await service.sweep()
        try #require(Set(report.expired) == due.expire, "step \(step): expired \(report.expired), model \(due.expire)")
        try #require(
            Set(report.released) == due.release, "step \(step): released \(report.released), model \(due.release)")
        model.sweep(now: now)
        counts["sweep.expired", default: 0] += due.expire.count
        counts["sweep.released", default: 0] += due.release.count
        counts["sweep.ok", default: 0] += 1
        return due.expire.isEmpty && due.release.isEmpty
    }
}

@Suite("Seeded random walks")
struct RandomWalkTests {
    @Test(
        "1,000 random commands: ledger invariants, model agreement, replay = live",
        arguments: [20_241_124 as UInt64, 7])
    func invariantsHold(seed: UInt64) async throws {
        let db = try await TestDatabase(label: "walk\(seed)")
        defer { db.close() }
        var walk = RandomWalk(db: db, seed: seed, checkEveryStep: true)
        try await walk.run(steps: 1_000)
        try await walk.finish()

        // The walk must have exercised every path, or it proves little.
        let counts = walk.counts
        for kind in ["register", "deposit", "withdraw", "open", "deliver", "confirm", "dispute", "cancel", "refund"] {
            #expect(counts["\(kind).ok", default: 0] > 0, "no accepted \(kind) in \(counts)")
        }
        for refusal in [
            "deliver.forbidden", "register.forbidden", "deposit.forbidden", "open.insufficient_funds",
            "withdraw.insufficient_funds", "open.invalid_request", "deliver.invalid_transition",
            "confirm.invalid_transition",
        ] {
            #expect(counts[refusal, default: 0] > 0, "no \(refusal) in \(counts)")
        }
        #expect(counts["sweep.expired", default: 0] > 0, "\(counts)")
        #expect(counts["sweep.released", default: 0] > 0, "\(counts)")
    }

    @Test("the same seed and clock give the same log, byte for byte; another seed does not")
    func determinism() async throws {
        func walk(seed: UInt64) async throws -> (LogHead, String) {
            let db = try await TestDatabase(label: "determinism\(seed)")
            defer { db.close() }
            var walk = RandomWalk(db: db, seed: seed, checkEveryStep: false)
            try await walk.run(steps: 1_000)
            return await (try db.store.head(), try db.service.projectionDigest())
        }
        let first = try await walk(seed: 99)
        let second = try await walk(seed: 99)
        let other = try await walk(seed: 100)
        #expect(first.0.seq > 1_000 / 3)
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(other.0.hash != first.0.hash)
    }
}
