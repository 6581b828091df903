extension Reservation {
    /// Longest x402 resource and payment id, as for escrows.
    static let maxResourceLength = EscrowTerms.maxResourceLength
    static let maxPaymentIdLength = EscrowTerms.maxPaymentIdLength

    /// Decides a new reservation once its funding has authorised it (``Mandate/authorize(amount:asset:counterparty:now:)``
    /// or ``Position/authorize(amount:asset:price:now:)``): the amount moves from `reservation.source` into the hold.
    /// Checks the values (`invalid_request`) and that the TTL is positive.
    public static func decideReserve(_ reservation: Reservation) throws(KuraError) -> [ReservationEvent] {
        guard reservation.amount.units > 0 else { throw KuraError(.invalidRequest, "amount must be more than zero") }
        guard reservation.agent != reservation.counterparty else {
            throw KuraError(.invalidRequest, "counterparty must differ from agent")
        }
        guard (reservation.mandateId == nil) != (reservation.positionId == nil),
            (reservation.lane == .enterprise) == (reservation.mandateId != nil)
        else { throw KuraError(.laneMismatch, "enterprise draws on a mandate, crypto-fast on a position") }
        guard reservation.expiresAt > reservation.issuedAt,
            reservation.expiresAt.milliseconds <= EscrowTerms.maxExactInteger
        else { throw KuraError(.invalidRequest, "the reservation TTL must be positive") }
        guard TextRules.isSHA256Hex(reservation.requestHash) else {
            throw KuraError(.invalidRequest, "requestHash must be 64 lowercase hex digits")
        }
        if let resource = reservation.resource,
            resource.isEmpty || !TextRules.isPlainText(resource, max: maxResourceLength)
        {
            throw KuraError(.invalidRequest, "resource must be 1 to \(maxResourceLength) characters")
        }
        if let paymentId = reservation.paymentId,
            paymentId.isEmpty || !TextRules.isPlainText(paymentId, max: maxPaymentIdLength)
        {
            throw KuraError(.invalidRequest, "paymentId must be 1 to \(maxPaymentIdLength) characters")
        }
        let hold = Posting(
            from: reservation.source, to: .reservationHeld(reservation.id), asset: reservation.asset,
            amount: reservation.amount)
        return [.reserved(reservation, postings: [hold])]
    }

    /// Decides a settle at `now`: the settlement record and the postings (net to the counterparty, the fee to
    /// Kura). Checks, in order: who (`forbidden`: the counterparty, the agent or an operator), state
    /// (`reservation_voided`, or `invalid_transition` when already settled: the service answers that one with
    /// the stored result), time (`reservation_expired` from `expiresAt` on).
    public func decideSettle(
        by actor: PartyID, actorIsOperator: Bool, now: Timestamp, fees: FeeSchedule, rail: String
    ) throws(KuraError) -> (record: SettlementRecord, postings: [Posting]) {
        guard actor == counterparty || actor == agent || actorIsOperator else {
            throw KuraError(.forbidden, "only the counterparty, the agent or an operator settles reservation \(id)")
        }
        switch state {
        case .voided:
            throw KuraError(.reservationVoided, "reservation \(id) was voided (\(voidReason?.rawValue ?? "voided"))")
        case .settled:
            throw KuraError(.invalidTransition, "reservation \(id) is already settled")
        case .reserved:
            break
        }
        guard now < expiresAt else {
            throw KuraError(.reservationExpired, "reservation \(id) expired at \(expiresAt) (now \(now))")
        }
        let (net, fee) = fees.settlementSplit(amount)
        let record = SettlementRecord(
            rail: rail, subject: id.rawValue, lane: lane, payer: agent, payee: counterparty, amount: amount, fee: fee,
            net: net, asset: asset, settledAt: now)
        let postings = [
            Posting(from: .reservationHeld(id), to: .available(counterparty), asset: asset, amount: net),
            Posting(from: .reservationHeld(id), to: .fees, asset: asset, amount: fee),
        ].filter { $0.amount.units > 0 }
        return (record, postings)
    }

    /// Decides a void: the hold goes back to `refundTo` (the source, or the agent when the mandate has closed).
    /// `expired` is due from `expiresAt` on; `liquidated` at any time while reserved.
    public func decideVoid(_ reason: VoidReason, refundTo: AccountName, now: Timestamp) throws(KuraError)
        -> [ReservationEvent]
    {
        guard state == .reserved else {
            throw KuraError(.invalidTransition, "cannot void reservation \(id): it is \(state.rawValue)")
        }
        if reason == .expired, now < expiresAt {
            throw KuraError(.invalidTransition, "reservation \(id) expires at \(expiresAt), not yet (now \(now))")
        }
        let back = Posting(from: .reservationHeld(id), to: refundTo, asset: asset, amount: amount)
        return [.voided(reason: reason, at: now, postings: [back])]
    }
}

extension Reservation {
    /// Applies a decided event. Never fails: the log is the truth.
    public mutating func apply(_ event: ReservationEvent) {
        switch event {
        case .reserved:
            break
        case .settled(let record, let txSignature, _):
            state = .settled
            settledAt = record.settledAt
            self.txSignature = txSignature
            fee = record.fee
        case .voided(let reason, let at, _):
            state = .voided
            voidedAt = at
            voidReason = reason
        }
    }

    /// The reservation as its events left it, or nil if the first event is not `reserved`.
    public static func fold(_ events: [ReservationEvent]) -> Reservation? {
        guard case .reserved(var reservation, _)? = events.first else { return nil }
        for event in events.dropFirst() { reservation.apply(event) }
        return reservation
    }
}
