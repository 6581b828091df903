extension Escrow {
    /// Longest dispute reason, in Unicode scalars.
    public static let maxDisputeReasonLength = 1000
    /// Most evidence digests one dispute may cite.
    public static let maxDisputeEvidence = 32

    /// Decides the creation of escrow `id`. Checks, in order: the actor is the payer (`forbidden`), the terms
    /// are valid at `now` (`invalid_request`), the payer has the funds (`insufficient_funds`).
    public static func decideLock(
        id: EscrowID, terms: EscrowTerms, by actor: PartyID?, now: Timestamp, context: EscrowContext
    ) throws(KuraError) -> [EscrowEvent] {
        guard let actor, actor == terms.payer else { throw KuraError(.forbidden, "only the payer locks funds") }
        try terms.validate(now: now)
        guard context.payerAvailable >= terms.amount else {
            throw KuraError(
                .insufficientFunds,
                "payer has \(context.payerAvailable) \(terms.asset) available; the escrow needs \(terms.amount)")
        }
        var recorded = terms
        recorded.lockedAt = now
        let hold = Posting(from: .available(terms.payer), to: .escrowHeld(id), asset: terms.asset, amount: terms.amount)
        return [.locked(id: id, terms: recorded, postings: [hold])]
    }

    /// Decides what `command` means now. Pure: no I/O, no clock but `now`.
    ///
    /// Checks, in order: who may issue the command at all (`forbidden`, so a stranger learns nothing about the
    /// escrow's state), the command's values (`invalid_request`), then state and time (`invalid_transition`).
    /// `actor` is nil for the sweeper, which alone issues `autoRelease` and `expire`.
    public func decide(_ command: EscrowCommand, by actor: PartyID?, now: Timestamp, context: EscrowContext)
        throws(KuraError) -> [EscrowEvent]
    {
        try authorize(command, actor)
        try validateValues(of: command)
        let deliveredAt = deliveredAt ?? terms.lockedAt
        switch (state, command) {
        case (.locked, .deliver(let evidence)):
            guard now <= terms.deliverBy else {
                throw refused(command, "the delivery deadline \(terms.deliverBy) has passed (now \(now))")
            }
            return [.delivered(evidence: evidence, at: now)]
        case (.delivered, .confirm):
            return [release(.confirmed, at: now, fees: context.fees)]
        case (.delivered, .dispute(let reason, let evidence, let disputeId)):
            let closes = deliveredAt.adding(milliseconds: terms.disputeWindowMs)
            guard now < closes else { throw refused(command, "the dispute window closed at \(closes) (now \(now))") }
            return [.disputed(disputeId: disputeId, reason: reason, evidence: evidence, at: now)]
        case (.locked, .cancel):
            return [.cancelled(at: now, postings: [returnToPayer])]
        case (.locked, .refund), (.delivered, .refund), (.disputed, .refund):
            return [.refunded(at: now, postings: [returnToPayer])]
        case (.delivered, .autoRelease):
            let due = deliveredAt.adding(milliseconds: terms.confirmWindowMs)
            guard now >= due else { throw refused(command, "the confirm window runs until \(due) (now \(now))") }
            return [release(.auto, at: now, fees: context.fees)]
        case (.locked, .expire):
            guard now > terms.deliverBy else {
                throw refused(command, "the delivery deadline \(terms.deliverBy) has not passed (now \(now))")
            }
            return [.expired(at: now, postings: [returnToPayer])]
        case (.disputed, .resolve(let disputeId, let resolution)):
            guard disputeId == self.disputeId,
                resolution.refund.units + resolution.payout.units + resolution.fee.units == terms.amount.units
            else { throw KuraError(.internalError, "resolution of \(disputeId) does not match escrow \(id)") }
            let postings = [
                Posting(
                    from: .escrowHeld(id), to: .available(terms.payer), asset: terms.asset, amount: resolution.refund),
                Posting(
                    from: .escrowHeld(id), to: .available(terms.payee), asset: terms.asset, amount: resolution.payout),
                Posting(from: .escrowHeld(id), to: .fees, asset: terms.asset, amount: resolution.fee),
            ].filter { $0.amount.units > 0 }
            return [
                .resolved(
                    .init(
                        disputeId: disputeId, refundBps: resolution.refundBps, refund: resolution.refund,
                        payout: resolution.payout, fee: resolution.fee, at: now, postings: postings))
            ]
        case (_, .lock):
            throw refused(command, "the escrow already exists")
        default:
            throw refused(command, state.isTerminal ? "that state is terminal" : "it is not allowed in that state")
        }
    }

    /// Who alone may issue each command: the payer, the payee, or the system (nil).
    private func authorize(_ command: EscrowCommand, _ actor: PartyID?) throws(KuraError) {
        let (allowed, who): (PartyID?, String) =
            switch command {
            case .lock, .confirm, .dispute, .cancel: (terms.payer, "the payer")
            case .deliver, .refund: (terms.payee, "the payee")
            case .autoRelease, .expire, .resolve: (nil, "the system")
            }
        guard actor == allowed else { throw KuraError(.forbidden, "only \(who) may \(command.name) an escrow") }
    }

    private func validateValues(of command: EscrowCommand) throws(KuraError) {
        switch command {
        case .deliver(let evidence):
            guard TextRules.isSHA256Hex(evidence) else {
                throw KuraError(.invalidRequest, "evidence must be a SHA-256 digest: 64 lowercase hex digits")
            }
        case .dispute(let reason, let evidence, _):
            guard reason.contains(where: { !$0.isWhitespace }),
                TextRules.isPlainText(reason, max: Self.maxDisputeReasonLength)
            else {
                throw KuraError(
                    .invalidRequest,
                    "a dispute reason is 1 to \(Self.maxDisputeReasonLength) characters without control characters")
            }
            guard evidence.count <= Self.maxDisputeEvidence, evidence.allSatisfy(TextRules.isSHA256Hex) else {
                throw KuraError(
                    .invalidRequest,
                    "dispute evidence is at most \(Self.maxDisputeEvidence) SHA-256 digests of 64 lowercase hex digits")
            }
        case .lock, .confirm, .cancel, .refund, .autoRelease, .expire, .resolve:
            break
        }
    }

    private func refused(_ command: EscrowCommand, _ why: String) -> KuraError {
        KuraError(.invalidTransition, "cannot \(command.name) escrow \(id) from state \(state.rawValue): \(why)")
    }

    /// The whole amount back to the payer, no fee: used by cancel, refund and expire.
    private var returnToPayer: Posting {
        Posting(from: .escrowHeld(id), to: .available(terms.payer), asset: terms.asset, amount: terms.amount)
    }

    /// Net to the payee and the fee to Kura, rounded down in the payee's favour; zero postings are left out.
    private func release(_ reason: EscrowEvent.ReleaseReason, at now: Timestamp, fees: FeeSchedule) -> EscrowEvent {
        let (net, fee) = fees.escrowSplit(terms.amount)
        let postings = [
            Posting(from: .escrowHeld(id), to: .available(terms.payee), asset: terms.asset, amount: net),
            Posting(from: .escrowHeld(id), to: .fees, asset: terms.asset, amount: fee),
        ].filter { $0.amount.units > 0 }
        return .released(reason: reason, net: net, fee: fee, at: now, postings: postings)
    }
}
