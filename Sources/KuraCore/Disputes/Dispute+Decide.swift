import KuraCrypto

extension Dispute {
    /// Longest statement or ruling reason, in Unicode scalars.
    public static let maxStatementLength = 2000

    /// How many evidence entries each side may add (each up to ``Escrow/maxDisputeEvidence`` digests and a
    /// statement): every entry rewrites the dispute's row in the single writer, so without a bound a side could
    /// slow everyone's commands for as long as the dispute stays open (review finding).
    public static let maxEvidenceEntriesPerSide = 32

    /// Decides the opening of dispute `id` against `escrow` (as it was before `escrow.disputed`): the first
    /// panel is drawn from `context.arbiters`, leaving out the escrow's two sides, with Kura's seed for round
    /// 1 (published in the event, so anyone can check the draw).
    public static func decideOpen(
        id: DisputeID, escrow: Escrow, reason: String, evidence: [String], statement: String?, now: Timestamp,
        context: DisputeContext
    ) throws(KuraError) -> [DisputeEvent] {
        try validate(statement: statement)
        let size = context.policy.panelSize(for: escrow.terms.amount)
        let seed = try context.panelSeed(id, round: 1)
        let panel = Panel.select(
            from: context.arbiters, excluding: [escrow.terms.payer, escrow.terms.payee], size: size, seed: seed)
        return [
            .opened(
                .init(
                    disputeId: id, escrowId: escrow.id, payer: escrow.terms.payer, payee: escrow.terms.payee,
                    amount: escrow.terms.amount, asset: escrow.terms.asset, reason: reason, evidence: evidence,
                    statement: statement, panel: panel, panelSeed: Base64.encode(seed),
                    responseDueAt: now.adding(milliseconds: context.policy.responseWindowMs), at: now))
        ]
    }

    /// Decides what `command` means now. Pure: no I/O, no clock but `now`.
    ///
    /// Checks, in order: who may act (`forbidden`, `not_on_panel`), whether the dispute is open
    /// (`dispute_not_open`), the values (`invalid_request`, `invalid_signature`), then phase and time
    /// (`invalid_transition`, `deadline_passed`, `already_ruled`). A response window that has closed
    /// without the sweeper noticing is treated as closed: the `deliberating` event is decided first.
    public func decide(_ command: DisputeCommand, by actor: PartyID?, now: Timestamp, context: DisputeContext)
        throws(KuraError) -> [DisputeEvent]
    {
        try authorize(command, actor)
        guard state.isOpen else { throw notOpen(command) }
        var events = lapsedResponseWindow(now: now, command: command, context: context)
        var current = self
        for event in events { current.apply(event) }
        events += try current.decideOpenPhase(command, by: actor, now: now, context: context)
        return events
    }

    private func decideOpenPhase(
        _ command: DisputeCommand, by actor: PartyID?, now: Timestamp, context: DisputeContext
    ) throws(KuraError) -> [DisputeEvent] {
        switch command {
        case .addEvidence(let digests, let statement):
            guard !digests.isEmpty || statement != nil else {
                throw KuraError(.invalidRequest, "evidence needs at least one digest or a statement")
            }
            try Self.validate(evidence: digests)
            try Self.validate(statement: statement)
            guard state != .decided else { throw phase(command, "the panel has decided; evidence is closed") }
            if let rulingDueAt, now > rulingDueAt {
                throw KuraError(.deadlinePassed, "the ruling deadline \(rulingDueAt) has passed (now \(now))")
            }
            guard let actor else { throw KuraError(.forbidden, "evidence comes from a side of the dispute") }
            guard evidence.count(where: { $0.by == actor }) < Self.maxEvidenceEntriesPerSide else {
                throw KuraError(
                    .invalidRequest, "each side adds at most \(Self.maxEvidenceEntriesPerSide) evidence entries")
            }
            let entry = DisputeEvent.evidenceAdded(.init(by: actor, evidence: digests, statement: statement, at: now))
            guard state == .awaitingResponse, actor == payee else { return [entry] }
            // The payee's answer ends the response phase early.
            let due = now.adding(milliseconds: context.policy.rulingWindowMs)
            return [entry, .deliberating(round: round, rulingDueAt: due, at: now)]
        case .rule(let statement, let signature, let reason):
            return try decideRuling(statement, signature: signature, reason: reason, by: actor, now: now, context)
        case .recuse:
            guard state != .decided else { throw phase(command, "the panel has already decided") }
            guard let actor else { throw KuraError(.notOnPanel, "only a panel arbiter recuses") }
            if currentRulings.contains(where: { $0.arbiter == actor }) {
                throw KuraError(.alreadyRuled, "\(actor) already ruled in round \(round) and cannot recuse")
            }
            // Past the deadline nobody can rule any more: a replacement would only be seated to read the dispute.
            if let rulingDueAt, now > rulingDueAt {
                throw KuraError(.deadlinePassed, "the ruling deadline \(rulingDueAt) has passed (now \(now))")
            }
            let excluded = Set([payer, payee] + panel + formerPanel + recused)
            let seed = try context.panelSeed(id, round: round)
            let replacement = Panel.select(from: context.arbiters, excluding: excluded, size: 1, seed: seed).first
            var events: [DisputeEvent] = [
                .recused(arbiter: actor, replacement: replacement, panelSeed: Base64.encode(seed), at: now)
            ]
            var after = self
            after.apply(events[0])
            events += after.outcomeIfMajority(now: now, context: context)
            return events
        case .appeal(let reason):
            try Self.validate(statement: reason)
            guard state == .decided, let decision, round == 1 else {
                throw KuraError(
                    .disputeNotOpen, "dispute \(id) can be appealed only after a first-round decision, and only once")
            }
            guard now <= decision.appealDueAt else {
                throw KuraError(.deadlinePassed, "the appeal window closed at \(decision.appealDueAt) (now \(now))")
            }
            let size = context.policy.panelSize(for: amount) + context.policy.appealPanelGrowth
            let excluded = Set([payer, payee] + panel + formerPanel + recused)
            guard let actor else { throw KuraError(.forbidden, "only a side of the dispute appeals") }
            let seed = try context.panelSeed(id, round: 2)
            let newPanel = Panel.select(from: context.arbiters, excluding: excluded, size: size, seed: seed)
            // Heard by nobody, round 2 would end without a ruling and the default split would replace the first
            // round's ruling: the appeal is refused and the decision stands.
            guard !newPanel.isEmpty else {
                throw KuraError(
                    .invalidTransition,
                    "no arbiter is eligible to hear an appeal of dispute \(id); the first-round decision stands")
            }
            return [
                .appealed(
                    .init(
                        by: actor, reason: reason, round: 2, panel: newPanel, panelSeed: Base64.encode(seed),
                        rulingDueAt: now.adding(milliseconds: context.policy.rulingWindowMs), at: now))
            ]
        case .deadline:
            return try decideDeadline(now: now, context: context)
        case .close(let reason):
            return [.closed(reason: reason, at: now)]
        }
    }

    /// The `deliberating` event owed when the payee's response window closed and nobody has recorded it yet.
    /// The sweeper's own `deadline` command records it itself.
    private func lapsedResponseWindow(now: Timestamp, command: DisputeCommand, context: DisputeContext)
        -> [DisputeEvent]
    {
        guard state == .awaitingResponse, now > responseDueAt, command != .deadline else { return [] }
        if case .close = command { return [] }
        let due = responseDueAt.adding(milliseconds: context.policy.rulingWindowMs)
        return [.deliberating(round: round, rulingDueAt: due, at: now)]
    }

    private func decideRuling(
        _ statement: RulingStatement, signature: [UInt8], reason: String, by actor: PartyID?, now: Timestamp,
        _ context: DisputeContext
    ) throws(KuraError) -> [DisputeEvent] {
        guard let actor else { throw KuraError(.notOnPanel, "only a panel arbiter rules") }
        let refundBps = try statement.requestedRefundBps()
        guard statement.type == RulingStatement.typeName else {
            throw KuraError(.invalidRequest, "a ruling's type is \(RulingStatement.typeName)")
        }
        guard statement.disputeId == id, statement.arbiter == actor else {
            throw KuraError(
                .invalidRequest,
                "the ruling names dispute \(statement.disputeId) and arbiter "
                    + "\(statement.arbiter); this is dispute \(id) and the caller is \(actor)")
        }
        guard TextRules.isPlainText(reason, max: Self.maxStatementLength), reason.contains(where: { !$0.isWhitespace })
        else {
            throw KuraError(.invalidRequest, "a ruling's reason is 1 to \(Self.maxStatementLength) characters of text")
        }
        guard statement.reasonSha256 == RulingStatement.digest(of: reason) else {
            throw KuraError(.invalidRequest, "reasonSha256 is not the SHA-256 of the reason given")
        }
        guard let key = context.arbiterKey, key.isValidSignature(signature, for: try statement.signingBytes()) else {
            throw KuraError(.invalidSignature, "the ruling's signature does not verify with \(actor)'s registered key")
        }
        guard statement.round == round else {
            throw KuraError(
                .invalidRequest, "the ruling is for round \(statement.round); the dispute is in round \(round)")
        }
        if currentRulings.contains(where: { $0.arbiter == actor }) {
            throw KuraError(.alreadyRuled, "\(actor) already ruled in round \(round)")
        }
        guard state == .deliberating, let rulingDueAt else {
            throw phase(
                .rule(statement, signature: signature, reason: reason),
                state == .decided
                    ? "the panel has already decided" : "the payee's response window runs until \(responseDueAt)")
        }
        guard now <= rulingDueAt else {
            throw KuraError(.deadlinePassed, "the ruling deadline \(rulingDueAt) has passed (now \(now))")
        }
        let ruling = Ruling(
            round: round, arbiter: actor, refundBps: refundBps, quality: statement.quality, reason: reason,
            reasonSha256: statement.reasonSha256, signature: Base64.encode(signature), signedAt: statement.at, at: now)
        var after = self
        after.apply(.ruled(ruling))
        return [.ruled(ruling)] + after.outcomeIfMajority(now: now, context: context)
    }

    /// The round's outcome once a majority of the panel has ruled; nothing otherwise.
    private func outcomeIfMajority(now: Timestamp, context: DisputeContext) -> [DisputeEvent] {
        let refunds = currentRulings.map(\.refundBps)
        guard !panel.isEmpty, refunds.count >= panel.count / 2 + 1 else { return [] }
        return [outcome(refundBps: Self.median(refunds), rulings: refunds.count, byDefault: false, now, context)]
    }

    private func decideDeadline(now: Timestamp, context: DisputeContext) throws(KuraError) -> [DisputeEvent] {
        switch state {
        case .awaitingResponse where now > responseDueAt:
            let due = responseDueAt.adding(milliseconds: context.policy.rulingWindowMs)
            return [.deliberating(round: round, rulingDueAt: due, at: now)]
        case .deliberating where rulingDueAt.map { now > $0 } ?? false:
            let refunds = currentRulings.map(\.refundBps)
            if refunds.isEmpty {
                return [outcome(refundBps: context.policy.defaultRefundBps, rulings: 0, byDefault: true, now, context)]
            }
            return [outcome(refundBps: Self.median(refunds), rulings: refunds.count, byDefault: false, now, context)]
        case .decided where decision.map { now > $0.appealDueAt } ?? false:
            guard let decision else { break }
            return [resolution(refundBps: decision.refundBps, byDefault: decision.byDefault, now, context)]
        default:
            break
        }
        throw KuraError(.invalidTransition, "no deadline of dispute \(id) has passed (now \(now))")
    }

    /// A first round decides (and may be appealed); a second round resolves.
    private func outcome(refundBps: Int, rulings: Int, byDefault: Bool, _ now: Timestamp, _ context: DisputeContext)
        -> DisputeEvent
    {
        guard round == 1 else { return resolution(refundBps: refundBps, byDefault: byDefault, now, context) }
        return .decided(
            .init(
                round: round, refundBps: refundBps, rulings: rulings, byDefault: byDefault,
                appealDueAt: now.adding(milliseconds: context.policy.appealWindowMs), at: now))
    }

    private func resolution(refundBps: Int, byDefault: Bool, _ now: Timestamp, _ context: DisputeContext)
        -> DisputeEvent
    {
        let split = Self.split(amount, refundBps: refundBps, fees: context.fees)
        return .resolved(
            .init(
                round: round, refundBps: refundBps, byDefault: byDefault, refund: split.refund, payout: split.payout,
                fee: split.fee, at: now))
    }

    /// How a held amount is split: the dispute fee first (rounded down), then `refundBps` of the rest back to
    /// the payer (rounded down), the remainder to the payee. The three always add up to `amount`.
    public static func split(_ amount: Amount, refundBps: Int, fees: FeeSchedule) -> (
        refund: Amount, payout: Amount, fee: Amount
    ) {
        let (rest, fee) = fees.disputeSplit(amount)
        let refund = rest.basisPoints(UInt64(min(max(refundBps, 0), 10_000)))
        return (refund, Amount(checked: rest.units - refund.units), fee)
    }

    /// The median refund; with an even count, the mean of the middle two, rounded down.
    public static func median(_ values: [Int]) -> Int {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    private func authorize(_ command: DisputeCommand, _ actor: PartyID?) throws(KuraError) {
        switch command {
        case .addEvidence, .appeal:
            guard let actor, actor == payer || actor == payee else {
                throw KuraError(.forbidden, "only the payer or the payee may \(command.name) dispute \(id)")
            }
        case .rule, .recuse:
            guard let actor, panel.contains(actor) else {
                throw KuraError(.notOnPanel, "\(actor.map(\.rawValue) ?? "nobody") is not on the panel of \(id)")
            }
        case .deadline, .close:
            guard actor == nil else { throw KuraError(.forbidden, "only Kura may \(command.name) a dispute") }
        }
    }

    static func validate(evidence: [String]) throws(KuraError) {
        guard evidence.count <= Escrow.maxDisputeEvidence, evidence.allSatisfy(TextRules.isSHA256Hex) else {
            throw KuraError(
                .invalidRequest,
                "evidence is at most \(Escrow.maxDisputeEvidence) SHA-256 digests of 64 lowercase hex digits")
        }
    }

    static func validate(statement: String?) throws(KuraError) {
        guard let statement else { return }
        guard TextRules.isPlainText(statement, max: maxStatementLength) else {
            throw KuraError(
                .invalidRequest, "a statement is at most \(maxStatementLength) characters, without control characters")
        }
    }

    private func notOpen(_ command: DisputeCommand) -> KuraError {
        KuraError(.disputeNotOpen, "cannot \(command.name) dispute \(id): it is \(state.rawValue)")
    }

    private func phase(_ command: DisputeCommand, _ why: String) -> KuraError {
        KuraError(.invalidTransition, "cannot \(command.name) dispute \(id) now: \(why)")
    }
}
