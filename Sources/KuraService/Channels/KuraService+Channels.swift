import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Opens a channel: the caller, as agent, deposits for a provider.
    public func openChannel(_ request: OpenChannelRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<Channel>
    {
        let policy = configuration.channels
        return try await command(
            "channel.open", encoding: request, by: principal, idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Channel in
            let state = tx.state
            try state.requireActive(principal)
            let provider = try state.requireParty(request.provider)
            guard provider.status == .active else {
                throw KuraError(.forbidden, "provider \(provider.id) is \(provider.status.rawValue)")
            }
            let terms = ChannelTerms(
                provider: request.provider, asset: request.asset, amount: request.amount,
                challengePeriodMs: request.challengePeriodMs ?? OpenChannelRequest.defaultChallengePeriodMs,
                expiresAt: request.expiresAt)
            let id = ChannelID.derive(command: context.command, seq: context.seq)
            let available = try state.available(principal.id, request.asset)
            // The agent's key as of this command (not of authentication): it becomes the voucher key.
            let agentKey = try state.requireParty(principal.id).publicKey
            let events = try Channel.decideOpen(
                id: id, terms: terms, by: principal.id, now: context.now,
                context: ChannelContext(agentAvailable: available, agentKey: agentKey, policy: policy))
            try context.append(events, toNew: "channel/\(id)", &tx)
            guard let channel = Channel.fold(events) else { throw KuraError(.internalError, "open made no channel") }
            return channel
        }
    }

    /// A top-up (agent), a settlement (provider) or a close (either) of a channel; returns it as it now is.
    public func act(
        onChannel id: ChannelID, _ action: ChannelAction, body: JSONValue = .object([:]), by principal: Principal,
        idempotencyKey: String?
    ) async throws(KuraError) -> Reply<Channel> {
        // The command's time is taken as the request arrives, not after the voucher's check: a settle just before
        // a closing channel's challenge period ends must not miss it by the time a read took.
        let now = clock.now()
        let command: ChannelCommand
        var checked: CheckedVoucher?
        switch action {
        case .topup: command = .topUp(try TopUpRequest.decode(body).amount)
        case .settle:
            let signed = try SignedVoucher.decode(body)
            let signature = try signed.signatureBytes()
            command = .settle(signed.voucher, signature: signature)
            // Verified here, where it needs no ordering; the writer compares keys instead (issue 15).
            checked = await checkedVoucher(signed.voucher, signature: signature, channel: id)
        case .close:
            let last = try CloseChannelRequest.decode(body).lastVoucher()
            command = .close(last?.0, signature: last?.1)
        }
        let request: JSONValue = ["channel": .string(id.rawValue), "action": .string(action.rawValue), "body": body]
        let fees = configuration.fees
        return try await self.command(
            "channel.\(action.rawValue)", request: request, by: principal, idempotencyKey: idempotencyKey, at: now
        ) { [checked] (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Channel in
            try tx.state.requireActive(principal)
            return try Self.decideChannel(id, command, actor: principal.id, fees: fees, checked: checked, context, &tx)
        }
    }

    /// Takes the channel from the writer's state, decides with the agent's key and balance, appends.
    static func decideChannel(
        _ id: ChannelID, _ command: ChannelCommand, actor: PartyID?, fees: FeeSchedule, checked: CheckedVoucher? = nil,
        _ context: CommandContext, _ tx: inout WriteTransaction
    ) throws(KuraError) -> Channel {
        let stream = "channel/\(id)"
        let state = tx.state
        guard var channel = try state.channel(id)?.channel else { throw KuraError(.notFound, "no channel \(id)") }
        let agent = try state.party(channel.agent)
        let decideContext = ChannelContext(
            fees: fees, agentAvailable: try state.available(channel.agent, channel.asset),
            agentKey: agent?.publicKey, checked: checked)
        let events = try channel.decide(command, by: actor, now: context.now, context: decideContext)
        try context.append(events, to: stream, &tx)
        for event in events { channel.apply(event) }
        return channel
    }

    /// A channel, visible to its agent, its provider and operators.
    public func channel(_ id: ChannelID, by principal: Principal) async throws(KuraError) -> Channel {
        try await read { reads throws(KuraError) in
            guard let channel = try reads.channel(id)?.channel else { throw KuraError(.notFound, "no channel \(id)") }
            if principal.id != channel.agent && principal.id != channel.provider {
                try reads.requireRole(.operator, principal, "see another party's channel")
            }
            return channel
        }
    }

    /// How long after a channel's challenge period (or expiry) the sweeper waits before it moves the channel on.
    ///
    /// A settle's time is fixed as it arrives, before its voucher is checked (``act(onChannel:_:body:by:idempotencyKey:)``):
    /// one made within the challenge period may still be on its way to the writer when the period ends. Finalized at
    /// once, the channel would refuse it `channel_closed` and return its amount to the agent (review finding). One that
    /// reaches the writer within the margin lands first; one held up longer (a reader queue, another process's write
    /// lock) can still lose to the sweep. The decision itself still compares the sweep's own time with the deadline.
    public static let channelSweepMarginMs: Int64 = 5_000

    /// Moves on every channel whose expiry or challenge period passed ``channelSweepMarginMs`` ago.
    func sweepChannels(now: Timestamp, into report: inout SweepReport) async throws(KuraError) {
        let batch = configuration.sweepBatch
        let deadline = now.adding(milliseconds: -Self.channelSweepMarginMs)
        let due = try await read { reads throws(KuraError) in
            try reads.dueChannels(at: deadline, limit: batch).map { ($0.channel.id, $0.channel.state.rawValue) }
        }
        let fees = configuration.fees
        let steps = due.map { id, state in
            let command: ChannelCommand = state == Channel.State.open.rawValue ? .expire : .finalize
            return SweepStep(
                "channel.\(command.name)", ["channel": .string(id.rawValue), "sweep": .string(command.name)],
                lostRace: [.channelClosed]
            ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) in
                _ = try Self.decideChannel(id, command, actor: nil, fees: fees, context, &tx)
            }
        }
        for ((id, _), applied) in zip(due, await applySweep(steps)) where applied { report.channels.append(id) }
    }
}
