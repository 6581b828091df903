extension Mandate {
    /// Decides the creation of mandate `id`. Checks, in order: the caller is the agent or an operator
    /// (`forbidden`), the terms (`invalid_request`), the agent's available funds (`insufficient_funds`).
    public static func decideCreate(
        id: MandateID, terms: MandateTerms, by actor: PartyID?, actorIsOperator: Bool, agentAvailable: Amount,
        now: Timestamp
    ) throws(KuraError) -> [MandateEvent] {
        guard actor == terms.agent || actorIsOperator else {
            throw KuraError(.forbidden, "only the agent or an operator creates the agent's mandate")
        }
        try terms.validate(now: now)
        guard agentAvailable >= terms.amount else {
            throw KuraError(
                .insufficientFunds,
                "agent has \(agentAvailable) \(terms.asset) available; the mandate needs \(terms.amount)")
        }
        let fund = Posting(
            from: .available(terms.agent), to: .mandateFunds(id), asset: terms.asset, amount: terms.amount)
        return [.created(id: id, terms: terms, at: now, postings: [fund])]
    }

    /// Decides a top-up, revoke or expiry. `actor` is nil for the sweeper, which alone expires.
    public func decide(
        _ command: MandateCommand, by actor: PartyID?, actorIsOperator: Bool, agentAvailable: Amount, now: Timestamp
    ) throws(KuraError) -> [MandateEvent] {
        switch command {
        case .topUp, .revoke:
            guard actor == agent || (actor != nil && actorIsOperator) else {
                throw KuraError(.forbidden, "only the agent or an operator may \(command.name) mandate \(id)")
            }
        case .expire:
            guard actor == nil else { throw KuraError(.forbidden, "only the system expires a mandate") }
        }
        guard state == .active else {
            throw KuraError(.invalidTransition, "cannot \(command.name) mandate \(id): it is \(state.rawValue)")
        }
        switch command {
        case .topUp(let amount):
            guard amount.units > 0 else { throw KuraError(.invalidRequest, "amount must be more than zero") }
            guard now < expiresAt else {
                throw KuraError(.mandateInactive, "mandate \(id) expired at \(expiresAt)")
            }
            _ = try balance.adding(amount)
            _ = try funded.adding(amount)
            guard agentAvailable >= amount else {
                throw KuraError(.insufficientFunds, "agent has \(agentAvailable) \(asset) available, asked \(amount)")
            }
            let fund = Posting(from: .available(agent), to: .mandateFunds(id), asset: asset, amount: amount)
            return [.toppedUp(amount: amount, at: now, postings: [fund])]
        case .revoke:
            return [.revoked(returned: balance, at: now, postings: returnRemainder)]
        case .expire:
            guard now >= expiresAt else {
                throw KuraError(.invalidTransition, "mandate \(id) expires at \(expiresAt), not yet (now \(now))")
            }
            return [.expired(returned: balance, at: now, postings: returnRemainder)]
        }
    }

    private var returnRemainder: [Posting] {
        [Posting(from: .mandateFunds(id), to: .available(agent), asset: asset, amount: balance)].filter {
            $0.amount.units > 0
        }
    }

    /// Whether a payment of `amount` in `asset` to `counterparty` may be reserved now. Checks, in order:
    /// active and unexpired (`mandate_inactive`), asset (`invalid_request`), counterparty
    /// (`counterparty_not_allowed`), per-transaction cap, daily cap (`cap_exceeded`), balance (`mandate_exhausted`).
    public func authorize(amount: Amount, asset: Asset, counterparty: PartyID, now: Timestamp) throws(KuraError) {
        guard state == .active else { throw KuraError(.mandateInactive, "mandate \(id) is \(state.rawValue)") }
        guard now < expiresAt else { throw KuraError(.mandateInactive, "mandate \(id) expired at \(expiresAt)") }
        guard asset == self.asset else {
            throw KuraError(.invalidRequest, "mandate \(id) is in \(self.asset), not \(asset)")
        }
        guard allowedCounterparties.isEmpty || allowedCounterparties.contains(counterparty) else {
            throw KuraError(.counterpartyNotAllowed, "mandate \(id) does not allow paying \(counterparty)")
        }
        guard amount <= perTxCap else {
            throw KuraError(.capExceeded, "\(amount) is above the per-transaction cap \(perTxCap)")
        }
        let spent = spent(onDay: countingDay(of: now))
        guard spent.units + amount.units <= dailyCap.units else {
            throw KuraError(
                .capExceeded, "\(amount) would bring today's spend to \(spent.units + amount.units), above \(dailyCap)")
        }
        guard amount <= balance else {
            throw KuraError(.mandateExhausted, "mandate \(id) has \(balance) \(asset) left; asked \(amount)")
        }
    }
}

extension Mandate {
    /// Applies one of its own events. Never fails: the log is the truth.
    public mutating func apply(_ event: MandateEvent) {
        switch event {
        case .created:
            break
        case .toppedUp(let amount, _, _):
            balance = Amount(checked: min(balance.units + amount.units, Amount.maxUnits))
            funded = Amount(checked: min(funded.units + amount.units, Amount.maxUnits))
        case .revoked(_, let at, _):
            state = .revoked
            balance = .zero
            closedAt = at
        case .expired(_, let at, _):
            state = .expired
            balance = .zero
            closedAt = at
        }
    }

    /// Applies a reservation event that draws on this mandate, given the reservation as it was before.
    /// `reserved` takes from the balance and the day's spend; `voided` gives back the day's spend and, when the
    /// hold came back to this mandate's funds, the balance.
    public mutating func apply(_ event: ReservationEvent, reservation before: Reservation?) {
        switch event {
        case .reserved(let reservation, _):
            balance = Amount(checked: balance.units - min(balance.units, reservation.amount.units))
            let day = countingDay(of: reservation.issuedAt)
            spentToday = Amount(checked: min(spent(onDay: day).units + reservation.amount.units, Amount.maxUnits))
            spentDay = day
        case .voided(_, _, let postings):
            guard let before else { return }
            // Given back on its own day only: one counted against a later day (``countingDay(of:)``) stays
            // counted, erring on the cap's side, as no record says which day took it.
            if UTCDay.of(before.issuedAt) == spentDay {
                spentToday = Amount(checked: spentToday.units - min(spentToday.units, before.amount.units))
            }
            let returned = postings.filter { $0.to == .mandateFunds(id) }.reduce(0) { $0 + $1.amount.units }
            balance = Amount(checked: min(balance.units + returned, Amount.maxUnits))
        case .settled:
            break
        }
    }

    /// The mandate as its events left it, or nil if the first is not `created`.
    public static func fold(_ events: [MandateEvent]) -> Mandate? {
        guard case .created(let id, let terms, let at, _)? = events.first else { return nil }
        var mandate = Mandate(id: id, terms: terms, createdAt: at)
        for event in events.dropFirst() { mandate.apply(event) }
        return mandate
    }
}
