import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Locks the caller's funds in a new escrow.
    public func openEscrow(_ request: OpenEscrowRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<Escrow>
    {
        let fees = configuration.fees
        return try await command(
            "escrow.open", encoding: request, by: principal, idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Escrow in
            let state = tx.state
            try state.requireActive(principal)
            let payee = try state.requireParty(request.payee)
            guard payee.status == .active else {
                throw KuraError(.forbidden, "payee \(payee.id) is \(payee.status.rawValue)")
            }
            let terms = EscrowTerms(
                payer: principal.id, payee: request.payee, amount: request.amount, asset: request.asset,
                deliverBy: request.deliverBy,
                confirmWindowMs: request.confirmWindowMs ?? EscrowTerms.defaultConfirmWindowMs,
                disputeWindowMs: request.disputeWindowMs, resource: request.resource, paymentId: request.paymentId,
                memo: request.memo)
            let id = EscrowID.derive(command: context.command, seq: context.seq)
            let available = try state.available(principal.id, request.asset)
            let events = try Escrow.decideLock(
                id: id, terms: terms, by: principal.id, now: context.now,
                context: EscrowContext(fees: fees, payerAvailable: available))
            try context.append(events, toNew: "escrow/\(id)", &tx)
            guard let escrow = Escrow.fold(events) else { throw KuraError(.internalError, "lock produced no escrow") }
            return escrow
        }
    }

    /// Applies an action of payer or payee to an existing escrow and returns it as it now is.
    public func act(
        on id: EscrowID, _ action: EscrowAction, body: JSONValue = .object([:]), by principal: Principal,
        idempotencyKey: String?
    ) async throws(KuraError) -> Reply<Escrow> {
        // Parse the body before taking the write lock; the dispute's ID needs the command's seq, so the
        // command itself is made inside the transaction.
        let makeCommand: @Sendable (CommandContext) -> EscrowCommand
        var disputeRequest: DisputeRequest?
        switch action {
        case .deliver:
            let evidence = try DeliverRequest.decode(body).evidence
            makeCommand = { _ in .deliver(evidence: evidence) }
        case .dispute:
            let request = try DisputeRequest.decode(body)
            disputeRequest = request
            makeCommand = { context in
                .dispute(
                    reason: request.reason, evidence: request.evidence ?? [],
                    disputeId: DisputeID.derive(command: context.command, seq: context.seq))
            }
        case .confirm, .cancel, .refund:
            _ = try EmptyRequest.decode(body)
            let simple: EscrowCommand = action == .confirm ? .confirm : action == .cancel ? .cancel : .refund
            makeCommand = { _ in simple }
        }
        let fees = configuration.fees
        let policy = configuration.disputes
        let opening = disputeRequest
        let seeder = panelSeeder
        let request: JSONValue = ["escrow": .string(id.rawValue), "action": .string(action.rawValue), "body": body]
        return try await self.command(
            "escrow.\(action.rawValue)", request: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Escrow in
            try tx.state.requireActive(principal)
            let escrow = try Self.decideAndAppend(
                id, makeCommand(context), actor: principal.id, fees: fees, context, &tx)
            // A dispute lives in its own stream, opened (or, on refund, closed) in the same command.
            if let opening {
                try Self.openDispute(
                    escrow, request: opening, policy: policy, fees: fees, seeder: seeder, context, &tx)
            }
            if action == .refund { try Self.closeDispute(escrow, context, &tx) }
            return escrow
        }
    }

    /// Takes the escrow from the writer's state, decides, appends, and returns the new state.
    static func decideAndAppend(
        _ id: EscrowID, _ command: EscrowCommand, actor: PartyID?, fees: FeeSchedule, _ context: CommandContext,
        _ tx: inout WriteTransaction
    ) throws(KuraError) -> Escrow {
        let stream = "escrow/\(id)"
        guard var escrow = try tx.state.escrow(id)?.escrow else { throw KuraError(.notFound, "no escrow \(id)") }
        let events = try escrow.decide(command, by: actor, now: context.now, context: EscrowContext(fees: fees))
        try context.append(events, to: stream, &tx)
        for event in events { escrow.apply(event) }
        return escrow
    }

    /// An escrow, visible to its payer, its payee and operators.
    public func escrow(_ id: EscrowID, by principal: Principal) async throws(KuraError) -> Escrow {
        try await read { reads throws(KuraError) in
            guard let escrow = try reads.escrow(id)?.escrow else { throw KuraError(.notFound, "no escrow \(id)") }
            try reads.requireInvolved(principal, in: escrow)
            return escrow
        }
    }

    /// Escrows of a party (default: the caller), newest first, optionally in one state.
    public func escrows(
        party: PartyID?, state: Escrow.State?, cursor: String?, limit: Int, by principal: Principal
    ) async throws(KuraError) -> Page<Escrow> {
        let party = party ?? principal.id
        let before = try Self.newestFirstBound(cursor: cursor, limit: limit)
        return try await read { reads throws(KuraError) in
            if party != principal.id { try reads.requireRole(.operator, principal, "list another party's escrows") }
            let rows = try reads.escrows(party: party, state: state, beforeSeq: before, limit: limit + 1)
            let next = rows.count > limit ? rows[limit - 1].seq : nil
            return Page(items: rows.prefix(limit).map(\.escrow), nextCursor: next.map { String($0) })
        }
    }

    /// The exclusive upper bound on `seq` for a newest-first page: the cursor of the previous page (the `seq`
    /// of its last item), or no bound on the first. Checks `limit` (1-500) too.
    static func newestFirstBound(cursor: String?, limit: Int) throws(KuraError) -> Int64 {
        guard (1...500).contains(limit) else { throw KuraError(.invalidRequest, "limit must be 1-500") }
        guard let cursor else { return .max }
        guard let value = Int64(cursor), value > 0 else { throw KuraError(.invalidRequest, "invalid cursor") }
        return value
    }
}
