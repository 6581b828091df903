import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Applies an action of a side or an arbiter to an open dispute and returns the dispute as it now is.
    /// When the action settles the outcome, the escrow's held amount is split in the same command.
    public func act(
        onDispute id: DisputeID, _ action: DisputeAction, body: JSONValue = .object([:]), by principal: Principal,
        idempotencyKey: String?
    ) async throws(KuraError) -> Reply<Dispute> {
        let command: DisputeCommand
        switch action {
        case .evidence:
            let request = try DisputeEvidenceRequest.decode(body)
            command = .addEvidence(request.evidence ?? [], statement: request.statement)
        case .rulings:
            let request = try RulingRequest.decode(body)
            command = .rule(request.ruling, signature: try request.signatureBytes(), reason: request.reason)
        case .recusals:
            _ = try EmptyRequest.decode(body)
            command = .recuse
        case .appeal:
            command = .appeal(reason: try AppealRequest.decode(body).reason)
        }
        let request: JSONValue = ["dispute": .string(id.rawValue), "action": .string(action.rawValue), "body": body]
        let policy = configuration.disputes
        let fees = configuration.fees
        let seeder = panelSeeder
        return try await self.command(
            "dispute.\(action.rawValue)", request: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Dispute in
            try tx.state.requireActive(principal)
            // The key as the log has it now: the principal's party may be a moment old (``APIKeyCache``).
            let arbiterKey = try tx.state.requireParty(principal.id).publicKey
            return try Self.decideDispute(
                id, command, actor: principal.id, policy: policy, fees: fees, arbiterKey: arbiterKey,
                seeder: seeder, context, &tx)
        }
    }

    /// Seeds panel draws with Kura's own signing key: a deterministic Ed25519 signature over the dispute ID
    /// and round, which the payer cannot compute and anyone can check with Kura's public key (``Panel``).
    var panelSeeder: PanelSeeder { PanelSeeder(key: signer.key) }

    /// Opens the dispute of an escrow that has just been disputed, in the same command.
    static func openDispute(
        _ escrow: Escrow, request: DisputeRequest, policy: DisputePolicy, fees: FeeSchedule, seeder: PanelSeeder,
        _ context: CommandContext, _ tx: inout WriteTransaction
    ) throws(KuraError) {
        guard let disputeId = escrow.disputeId else {
            throw KuraError(.internalError, "disputed escrow has no dispute")
        }
        let arbiters = try tx.state.activeArbiters()
        let events = try Dispute.decideOpen(
            id: disputeId, escrow: escrow, reason: request.reason, evidence: request.evidence ?? [],
            statement: request.statement, now: context.now,
            context: DisputeContext(policy: policy, fees: fees, arbiters: arbiters, seeder: seeder))
        try context.append(events, toNew: "dispute/\(disputeId)", &tx)
    }

    /// Ends an open dispute whose escrow the payee has just refunded.
    static func closeDispute(_ escrow: Escrow, _ context: CommandContext, _ tx: inout WriteTransaction)
        throws(KuraError)
    {
        guard let disputeId = escrow.disputeId, let dispute = try tx.state.dispute(disputeId)?.dispute,
            dispute.state.isOpen
        else { return }
        let events = try dispute.decide(
            .close(reason: "the payee refunded the escrow"), by: nil, now: context.now, context: DisputeContext())
        try context.append(events, to: "dispute/\(disputeId)", &tx)
    }

    /// Takes the dispute from the writer's state, decides, appends, and splits the escrow if the dispute resolved.
    static func decideDispute(
        _ id: DisputeID, _ command: DisputeCommand, actor: PartyID?, policy: DisputePolicy, fees: FeeSchedule,
        arbiterKey: Ed25519.PublicKey?, seeder: PanelSeeder?, _ context: CommandContext, _ tx: inout WriteTransaction
    ) throws(KuraError) -> Dispute {
        guard var dispute = try tx.state.dispute(id)?.dispute else { throw KuraError(.notFound, "no dispute \(id)") }
        // The arbiter list is loaded (a scan of the parties) only for commands that seat one.
        let arbiters = command.drawsArbiters ? try tx.state.activeArbiters() : []
        let decideContext = DisputeContext(
            policy: policy, fees: fees, arbiters: arbiters, arbiterKey: arbiterKey, seeder: seeder)
        let events = try dispute.decide(command, by: actor, now: context.now, context: decideContext)
        try context.append(events, to: "dispute/\(id)", &tx)
        for event in events {
            dispute.apply(event)
            if case .resolved(let resolution) = event {
                _ = try decideAndAppend(
                    dispute.escrowId, .resolve(disputeId: id, resolution), actor: nil, fees: fees, context, &tx)
            }
        }
        return dispute
    }

    /// A dispute with its timeline, visible to its two sides, its arbiters (seated, former or recused) and
    /// operators.
    public func dispute(_ id: DisputeID, by principal: Principal) async throws(KuraError) -> DisputeView {
        try await read { reads throws(KuraError) in
            guard let dispute = try reads.dispute(id)?.dispute else { throw KuraError(.notFound, "no dispute \(id)") }
            if !dispute.involves(principal.id) { try reads.requireRole(.operator, principal, "see this dispute") }
            let events =
                try reads.events(inStream: "escrow/\(dispute.escrowId)") + reads.events(inStream: "dispute/\(id)")
            let timeline = events.sorted { $0.seq < $1.seq }.map {
                DisputeView.Step(seq: $0.seq, type: $0.type, actor: $0.actor, at: $0.at)
            }
            return DisputeView(dispute: dispute, timeline: timeline)
        }
    }

    /// Disputes, newest first. `mine`: those where the caller sits on the current panel. Otherwise an
    /// operator sees every dispute and anyone else those they are involved in.
    public func disputes(
        mine: Bool, state: Dispute.State?, cursor: String?, limit: Int, by principal: Principal
    ) async throws(KuraError) -> Page<Dispute> {
        let before = try Self.newestFirstBound(cursor: cursor, limit: limit)
        return try await read { reads throws(KuraError) in
            var everyone = false
            if !mine { everyone = try reads.canAct(principal, as: .operator) }
            let rows = try reads.disputes(
                member: everyone ? nil : principal.id, seatedOnly: mine, state: state, beforeSeq: before,
                limit: limit + 1)
            let next = rows.count > limit ? rows[limit - 1].seq : nil
            return Page(items: rows.prefix(limit).map(\.dispute), nextCursor: next.map { String($0) })
        }
    }
}
