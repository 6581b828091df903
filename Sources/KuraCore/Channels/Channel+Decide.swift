import KuraCrypto

extension Channel {
    /// The longest challenge period: 30 days.
    public static let maxChallengePeriodMs: Int64 = 30 * 86_400_000

    /// Decides the opening of channel `id` by `agent`. Checks: the agent is not the provider, the values
    /// (`invalid_request`: among them a challenge period and a lifetime of at least the policy's minimums),
    /// the funds (`insufficient_funds`).
    public static func decideOpen(
        id: ChannelID, terms: ChannelTerms, by agent: PartyID, now: Timestamp, context: ChannelContext
    ) throws(KuraError) -> [ChannelEvent] {
        guard agent != terms.provider else { throw KuraError(.invalidRequest, "a channel pays another party") }
        guard terms.amount.units > 0 else { throw KuraError(.invalidRequest, "a channel needs a deposit above 0") }
        let policy = context.policy
        guard (policy.minChallengePeriodMs...maxChallengePeriodMs).contains(terms.challengePeriodMs) else {
            throw KuraError(
                .invalidRequest,
                "challengePeriodMs must be \(policy.minChallengePeriodMs) to \(maxChallengePeriodMs): a shorter one "
                    + "lets the agent close before the provider's next settlement")
        }
        // Overflow-checked: a crafted expiresAt such as Int64.min must be refused, not trap.
        let (lifetime, overflow) = terms.expiresAt.milliseconds.subtractingReportingOverflow(now.milliseconds)
        guard terms.expiresAt.milliseconds <= EscrowTerms.maxExactInteger, !overflow, lifetime >= policy.minLifetimeMs
        else {
            throw KuraError(
                .invalidRequest, "expiresAt must be at least \(policy.minLifetimeMs) ms from now (\(now))")
        }
        guard context.agentAvailable >= terms.amount else {
            throw KuraError(
                .insufficientFunds,
                "agent has \(context.agentAvailable) \(terms.asset) available; the channel needs \(terms.amount)")
        }
        let deposit = Posting(from: .available(agent), to: .channelHeld(id), asset: terms.asset, amount: terms.amount)
        return [
            .opened(
                .init(
                    channelId: id, agent: agent, provider: terms.provider, asset: terms.asset, amount: terms.amount,
                    challengePeriodMs: terms.challengePeriodMs, expiresAt: terms.expiresAt,
                    agentKey: context.agentKey?.base64, at: now, postings: [deposit]))
        ]
    }

    /// Decides what `command` means now. Pure: no I/O, no clock but `now`.
    public func decide(_ command: ChannelCommand, by actor: PartyID?, now: Timestamp, context: ChannelContext)
        throws(KuraError) -> [ChannelEvent]
    {
        try authorize(command, actor)
        guard state != .closed else { throw KuraError(.channelClosed, "channel \(id) is closed") }
        switch command {
        case .topUp(let amount):
            guard state == .open, now < expiresAt else {
                throw KuraError(.channelClosed, "channel \(id) takes no more funds: it is closing or expired")
            }
            guard amount.units > 0, capacity.units + amount.units <= Amount.maxUnits else {
                throw KuraError(.invalidRequest, "a top-up is above 0 and keeps the capacity within 2^53-1")
            }
            guard context.agentAvailable >= amount else {
                throw KuraError(.insufficientFunds, "agent has \(context.agentAvailable) \(asset) available")
            }
            let posting = Posting(from: .available(agent), to: .channelHeld(id), asset: asset, amount: amount)
            return [.toppedUp(amount: amount, at: now, postings: [posting])]
        case .settle(let voucher, let signature):
            return [try settlement(voucher, signature, now: now, context: context)]
        case .close(let voucher, let signature):
            guard actor == provider else {
                guard state == .open else {
                    throw KuraError(.invalidTransition, "channel \(id) is already closing until \(closeDueAt ?? now)")
                }
                let due = now.adding(milliseconds: challengePeriodMs)
                return [.closing(reason: "agent", closeDueAt: due, at: now)]
            }
            var events: [ChannelEvent] = []
            var after = self
            if let voucher, let signature {
                let settled = try settlement(voucher, signature, now: now, context: context)
                after.apply(settled)
                events.append(settled)
            }
            return events + [after.closure(at: now)]
        case .expire:
            guard state == .open, now >= expiresAt else {
                throw KuraError(.invalidTransition, "channel \(id) does not expire until \(expiresAt)")
            }
            return [.closing(reason: "expired", closeDueAt: now.adding(milliseconds: challengePeriodMs), at: now)]
        case .finalize:
            guard state == .closing, let closeDueAt, now > closeDueAt else {
                throw KuraError(.invalidTransition, "channel \(id) has no challenge period that has ended")
            }
            return [closure(at: now)]
        }
    }

    /// The settlement of a voucher: checked against the channel, the agent's key, what was settled and
    /// the capacity; the growth since the last settlement moves, less the settlement fee.
    private func settlement(_ voucher: ChannelVoucher, _ signature: [UInt8], now: Timestamp, context: ChannelContext)
        throws(KuraError) -> ChannelEvent
    {
        if state == .closing, let closeDueAt, now > closeDueAt {
            throw KuraError(.channelClosed, "channel \(id)'s challenge period ended at \(closeDueAt)")
        }
        guard voucher.channel == id else {
            throw KuraError(.voucherInvalid, "the voucher is for channel \(voucher.channel), not \(id)")
        }
        guard let key = voucherKey(context), context.isSigned(voucher, signature, by: key) else {
            throw KuraError(.voucherInvalid, "the voucher's signature is not the agent's")
        }
        guard voucher.cumulativeAmount <= capacity else {
            throw KuraError(
                .voucherOverCapacity,
                "the voucher asks for \(voucher.cumulativeAmount); channel \(id) holds \(capacity)")
        }
        guard voucher.cumulativeAmount > settled, voucher.sequence > sequence else {
            throw KuraError(
                .voucherStale,
                "the voucher (\(voucher.cumulativeAmount), sequence \(voucher.sequence)) is not above the last settled "
                    + "(\(settled), sequence \(sequence))")
        }
        let amount = Amount(checked: voucher.cumulativeAmount.units - settled.units)
        let (net, fee) = context.fees.settlementSplit(amount)
        let postings = [
            Posting(from: .channelHeld(id), to: .available(provider), asset: asset, amount: net),
            Posting(from: .channelHeld(id), to: .fees, asset: asset, amount: fee),
        ].filter { $0.amount.units > 0 }
        return .settled(
            .init(
                cumulativeAmount: voucher.cumulativeAmount, sequence: voucher.sequence, amount: amount, net: net,
                fee: fee, signature: Base64.encode(signature), at: now, postings: postings))
    }

    /// The key vouchers must be signed with: the one pinned at open, else (older channels) the agent's
    /// current key.
    func voucherKey(_ context: ChannelContext) -> Ed25519.PublicKey? {
        guard let agentKey else { return context.agentKey }
        return try? Ed25519.PublicKey(base64: agentKey)
    }

    private func closure(at now: Timestamp) -> ChannelEvent {
        let rest = remaining
        let postings =
            rest.units > 0 ? [Posting(from: .channelHeld(id), to: .available(agent), asset: asset, amount: rest)] : []
        return .closed(returned: rest, at: now, postings: postings)
    }

    private func authorize(_ command: ChannelCommand, _ actor: PartyID?) throws(KuraError) {
        switch command {
        case .topUp:
            guard actor == agent else { throw KuraError(.forbidden, "only the agent tops up channel \(id)") }
        case .settle:
            guard actor == provider else { throw KuraError(.forbidden, "only the provider settles channel \(id)") }
        case .close:
            guard actor == agent || actor == provider else {
                throw KuraError(.forbidden, "only the agent or the provider closes channel \(id)")
            }
        case .expire, .finalize:
            guard actor == nil else { throw KuraError(.forbidden, "only Kura may \(command.name) a channel") }
        }
    }

    /// Applies a decided event. Never fails: the log is the truth.
    public mutating func apply(_ event: ChannelEvent) {
        switch event {
        case .opened: break
        case .toppedUp(let amount, _, _): capacity = Amount(checked: capacity.units + amount.units)
        case .settled(let s):
            settled = s.cumulativeAmount
            sequence = s.sequence
            fees = Amount(checked: fees.units + s.fee.units)
        case .closing(_, let due, _):
            state = .closing
            closeDueAt = due
        case .closed(let returned, let at, _):
            state = .closed
            self.returned = returned
            closedAt = at
        }
    }

    /// The channel as its events left it, or nil if the first event is not `channel.opened`.
    public static func fold(_ events: [ChannelEvent]) -> Channel? {
        guard case .opened(let opening)? = events.first else { return nil }
        var channel = Channel(opening)
        for event in events.dropFirst() { channel.apply(event) }
        return channel
    }
}
