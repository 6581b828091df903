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
            "escrow.open", request: try .of(request), by: principal, idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Escrow in
            try Self.requireActive(principal, tx.db)
            let payee = try Queries.requireParty(request.payee, tx.db)
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
            let available = try Queries.available(principal.id, request.asset, tx.db)
            let events = try Escrow.decideLock(
                id: id, terms: terms, by: principal.id, now: context.now,
                context: EscrowContext(fees: fees, payerAvailable: available))
            try context.append(events, to: "escrow/\(id)", &tx)
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
            try Self.requireActive(principal, tx.db)
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

    /// Folds the escrow from its stream, decides, appends, and returns the new state.
    static func decideAndAppend(
        _ id: EscrowID, _ command: EscrowCommand, actor: PartyID?, fees: FeeSchedule, _ context: CommandContext,
        _ tx: inout WriteTransaction
    ) throws(KuraError) -> Escrow {
        let stream = "escrow/\(id)"
        guard var escrow = Escrow.fold(try CommandContext.history(stream, EscrowEvent.init, &tx)) else {
            throw KuraError(.notFound, "no escrow \(id)")
        }
        let events = try escrow.decide(command, by: actor, now: context.now, context: EscrowContext(fees: fees))
        try context.append(events, to: stream, &tx)
        for event in events { escrow.apply(event) }
        return escrow
    }

    /// An escrow, visible to its payer, its payee and operators.
    public func escrow(_ id: EscrowID, by principal: Principal) throws(KuraError) -> Escrow {
        try read { db throws(KuraError) in
            guard let escrow = try Queries.escrow(id, db) else { throw KuraError(.notFound, "no escrow \(id)") }
            try Self.requireInvolved(principal, in: escrow, db)
            return escrow
        }
    }

    /// Escrows of a party (default: the caller), newest first, optionally in one state.
    public func escrows(
        party: PartyID?, state: Escrow.State?, cursor: String?, limit: Int, by principal: Principal
    ) throws(KuraError) -> Page<Escrow> {
        let party = party ?? principal.id
        let before = try Self.newestFirstBound(cursor: cursor, limit: limit)
        return try read { db throws(KuraError) in
            if party != principal.id { try Self.requireRole(.operator, principal, db, "list another party's escrows") }
            var sql = "SELECT seq, json FROM escrows WHERE (payer = ?1 OR payee = ?1) AND seq < ?2"
            var bindings: [SQLiteValue] = [.text(party.rawValue), .integer(before)]
            if let state {
                sql += " AND state = ?3"
                bindings.append(.text(state.rawValue))
            }
            // The page size is bound, not written into the text: one cached statement per shape, not per size.
            sql += " ORDER BY seq DESC LIMIT ?\(bindings.count + 1)"
            bindings.append(.integer(Int64(limit + 1)))
            let statement = try db.statement(sql)
            try statement.bind(bindings)
            let rows = try statement.rows { row throws(KuraError) in
                (row.int64(0), try Queries.decode(Escrow.self, row.text(1)))
            }
            let items = rows.prefix(limit).map(\.1)
            let next = rows.count > limit ? rows[limit - 1].0 : nil
            return Page(items: Array(items), nextCursor: next.map(String.init))
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

    static func requireActive(_ principal: Principal, _ db: SQLiteConnection) throws(KuraError) {
        guard let current = try Queries.party(principal.id, db), current.status == .active else {
            throw KuraError(.forbidden, "\(principal.id) is not active")
        }
    }

    static func requireInvolved(_ principal: Principal, in escrow: Escrow, _ db: SQLiteConnection) throws(KuraError) {
        guard principal.id == escrow.terms.payer || principal.id == escrow.terms.payee else {
            try requireRole(.operator, principal, db, "see another party's escrow")
            return
        }
    }
}
