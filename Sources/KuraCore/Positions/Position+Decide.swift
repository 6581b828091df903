extension Position {
    /// The highest LTV a configuration may set: 100 %.
    public static let maxLtvBps: UInt64 = 10_000

    /// Decides the opening of position `id`. Checks, in order: the caller is the agent or an operator
    /// (`forbidden`), the values (`invalid_request`), the agent's available collateral (`insufficient_funds`).
    public static func decideOpen(
        id: PositionID, terms: PositionTerms, by actor: PartyID?, actorIsOperator: Bool, agentAvailable: Amount,
        now: Timestamp
    ) throws(KuraError) -> [PositionEvent] {
        guard actor == terms.agent || actorIsOperator else {
            throw KuraError(.forbidden, "only the agent or an operator opens the agent's position")
        }
        guard terms.collateral.units > 0 else { throw KuraError(.invalidRequest, "collateral must be more than zero") }
        guard terms.singlePaymentCap.units > 0 else {
            throw KuraError(.invalidRequest, "singlePaymentCap must be more than zero")
        }
        guard terms.collateralAsset != terms.asset else {
            throw KuraError(.invalidRequest, "collateralAsset must differ from asset")
        }
        guard (1...maxLtvBps).contains(terms.ltvBps), terms.minHealthBps >= 10_000 else {
            throw KuraError(.invalidRequest, "ltvBps must be 1-10000 and minHealthBps at least 10000")
        }
        guard agentAvailable >= terms.collateral else {
            throw KuraError(
                .insufficientFunds,
                "agent has \(agentAvailable) \(terms.collateralAsset) available; the position needs \(terms.collateral)"
            )
        }
        let lock = Posting(
            from: .available(terms.agent), to: .positionCollateral(id), asset: terms.collateralAsset,
            amount: terms.collateral)
        return [.opened(id: id, terms: terms, at: now, postings: [lock])]
    }

    /// Whether a payment of `amount` in `asset` may be reserved now at `price`. Checks, in order: state
    /// (`position_frozen`, `position_inactive`), asset (`invalid_request`), a price (`price_unavailable`), the
    /// single-payment cap (`cap_exceeded`), the credit left (`credit_exceeded`).
    public func authorize(amount: Amount, asset: Asset, price: Price?, now: Timestamp) throws(KuraError) {
        switch state {
        case .active: break
        case .frozen: throw KuraError(.positionFrozen, "position \(id) is frozen: its health factor is below minimum")
        case .liquidated, .closed: throw KuraError(.positionInactive, "position \(id) is \(state.rawValue)")
        }
        guard asset == self.asset else {
            throw KuraError(.invalidRequest, "position \(id) pays in \(self.asset), not \(asset)")
        }
        guard let price, price.base == collateralAsset, price.quote == self.asset else {
            throw KuraError(.priceUnavailable, "no price of \(collateralAsset) in \(self.asset) has been posted")
        }
        guard amount <= singlePaymentCap else {
            throw KuraError(.capExceeded, "\(amount) is above the single-payment cap \(singlePaymentCap)")
        }
        let credit = credit(at: price)
        guard exposure + amount.units <= credit.units else {
            throw KuraError(
                .creditExceeded,
                "credit is \(credit) \(self.asset); \(exposure) is owed or reserved, \(amount) more was asked")
        }
    }

    /// What a new price means: `frozen` when an active position's health falls below the minimum, `unfrozen`
    /// when a frozen one's recovers (or nothing is owed). Nothing for other states.
    public func decideReprice(_ price: Price, now: Timestamp) -> [PositionEvent] {
        switch state {
        case .active:
            guard let health = healthBps(at: price), health < minHealthBps else { return [] }
            return [.frozen(price: price.units, healthBps: health, at: now)]
        case .frozen:
            return isUnhealthy(at: price) ? [] : [.unfrozen(price: price.units, at: now)]
        case .liquidated, .closed:
            return []
        }
    }

    /// Decides a repayment, liquidation or close. `price` is the current price (for unfreezing after a repayment).
    public func decide(
        _ command: PositionCommand, by actor: PartyID, actorIsOperator: Bool, agentAvailable: Amount, price: Price?,
        now: Timestamp
    ) throws(KuraError) -> [PositionEvent] {
        switch command {
        case .repay(let amount):
            guard actor == agent || actorIsOperator else {
                throw KuraError(.forbidden, "only the agent or an operator repays position \(id)")
            }
            guard state != .closed else { throw KuraError(.invalidTransition, "position \(id) is closed") }
            guard amount.units > 0, amount <= debt else {
                throw KuraError(.invalidRequest, "repay 1 to \(debt) (the unpaid debt), not \(amount)")
            }
            guard agentAvailable >= amount else {
                throw KuraError(.insufficientFunds, "agent has \(agentAvailable) \(asset) available, asked \(amount)")
            }
            let pay = Posting(from: .available(agent), to: .positionDebt(id), asset: asset, amount: amount)
            var events: [PositionEvent] = [.repaid(amount: amount, at: now, postings: [pay])]
            if state == .frozen, let price {
                var after = self
                after.apply(events[0])
                events += after.decideReprice(price, now: now)
            }
            return events
        case .liquidate(let price):
            guard actorIsOperator else { throw KuraError(.forbidden, "only an operator liquidates a position") }
            guard state == .frozen else {
                throw KuraError(.invalidTransition, "only a frozen position is liquidated; \(id) is \(state.rawValue)")
            }
            guard reserved.units == 0 else {
                throw KuraError(.invalidTransition, "position \(id) still has \(reserved) reserved; void those first")
            }
            return [liquidation(at: price, now: now)]
        case .close:
            guard actor == agent || actorIsOperator else {
                throw KuraError(.forbidden, "only the agent or an operator closes position \(id)")
            }
            guard state == .active || state == .liquidated else {
                throw KuraError(.invalidTransition, "cannot close position \(id): it is \(state.rawValue)")
            }
            guard exposure == 0 else {
                throw KuraError(.invalidTransition, "position \(id) owes or reserves \(exposure) \(asset); repay first")
            }
            let back = Posting(
                from: .positionCollateral(id), to: .available(agent), asset: collateralAsset, amount: collateral)
            return [.closed(at: now, postings: [back].filter { $0.amount.units > 0 })]
        }
    }

    /// Sells the fewest collateral units that cover the debt at `price` (all of it if they do not suffice),
    /// pays the proceeds into the debt account and returns the rest of the collateral to the agent.
    private func liquidation(at price: Price, now: Timestamp) -> PositionEvent {
        let value = price.value(of: collateral)
        let sold: Amount
        let proceeds: Amount
        if value >= debt {
            sold = Amount(checked: min(price.baseUnits(covering: debt), collateral.units))
            proceeds = debt
        } else {
            sold = collateral
            proceeds = value
        }
        let returned = Amount(checked: collateral.units - sold.units)
        let postings = [
            Posting(from: .positionCollateral(id), to: .external, asset: collateralAsset, amount: sold),
            Posting(from: .external, to: .positionDebt(id), asset: asset, amount: proceeds),
            Posting(from: .positionCollateral(id), to: .available(agent), asset: collateralAsset, amount: returned),
        ].filter { $0.amount.units > 0 }
        return .liquidated(
            price: price.units, sold: sold, proceeds: proceeds, returned: returned, at: now, postings: postings)
    }
}

extension Position {
    /// Applies one of its own events. Never fails: the log is the truth.
    public mutating func apply(_ event: PositionEvent) {
        switch event {
        case .opened:
            break
        case .repaid(let amount, _, _):
            debt = Amount(checked: debt.units - min(debt.units, amount.units))
        case .frozen:
            state = .frozen
        case .unfrozen:
            state = .active
        case .liquidated(_, _, let proceeds, _, let at, _):
            state = .liquidated
            debt = Amount(checked: debt.units - min(debt.units, proceeds.units))
            collateral = .zero
            closedAt = at
        case .closed(let at, _):
            state = .closed
            collateral = .zero
            closedAt = at
        }
    }

    /// Applies a reservation event that draws on this position: reserved → ``reserved``, settled → ``debt``,
    /// voided → neither.
    public mutating func apply(_ event: ReservationEvent, reservation before: Reservation?) {
        switch event {
        case .reserved(let reservation, _):
            reserved = Amount(checked: min(reserved.units + reservation.amount.units, Amount.maxUnits))
        case .settled(let record, _, _):
            reserved = Amount(checked: reserved.units - min(reserved.units, record.amount.units))
            debt = Amount(checked: min(debt.units + record.amount.units, Amount.maxUnits))
        case .voided:
            guard let before else { return }
            reserved = Amount(checked: reserved.units - min(reserved.units, before.amount.units))
        }
    }

    /// The position as its events left it, or nil if the first is not `opened`.
    public static func fold(_ events: [PositionEvent]) -> Position? {
        guard case .opened(let id, let terms, let at, _)? = events.first else { return nil }
        var position = Position(id: id, terms: terms, openedAt: at)
        for event in events.dropFirst() { position.apply(event) }
        return position
    }
}
