import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// `POST /v1/mandates`: moves `amount` from the agent's available balance into a new mandate.
    public func createMandate(_ request: CreateMandateRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<Mandate>
    {
        try await command("mandate.create", encoding: request, by: principal, idempotencyKey: idempotencyKey) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Mandate in
            let state = tx.state
            try state.requireActive(principal)
            _ = try state.requireActiveParty(request.agent)
            let id = MandateID.derive(command: context.command, seq: context.seq)
            let events = try Mandate.decideCreate(
                id: id, terms: request, by: principal.id, actorIsOperator: try state.isOperator(principal),
                agentAvailable: try state.available(request.agent, request.asset), now: context.now)
            try context.append(events, toNew: "mandate/\(id)", &tx)
            guard let mandate = Mandate.fold(events) else { throw KuraError(.internalError, "create made no mandate") }
            return mandate
        }
    }

    /// `POST /v1/mandates/{id}/top-up` and `/revoke` (the agent or an operator).
    public func changeMandate(
        _ id: MandateID, _ change: MandateCommand, by principal: Principal, idempotencyKey: String?
    )
        async throws(KuraError) -> Reply<Mandate>
    {
        var request: JSONValue = ["mandate": .string(id.rawValue)]
        if case .topUp(let amount) = change { request = ["mandate": .string(id.rawValue), "amount": try .of(amount)] }
        return try await command(
            "mandate.\(change.name)", request: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Mandate in
            try tx.state.requireActive(principal)
            return try Self.decideMandate(id, change, actor: principal, context, &tx)
        }
    }

    /// Reads the mandate, decides, appends; returns it as it now is.
    static func decideMandate(
        _ id: MandateID, _ change: MandateCommand, actor: Principal?, _ context: CommandContext,
        _ tx: inout WriteTransaction
    ) throws(KuraError) -> Mandate {
        let state = tx.state
        guard var mandate = try state.mandate(id)?.mandate else { throw KuraError(.notFound, "no mandate \(id)") }
        var actorIsOperator = false
        if let actor { actorIsOperator = try state.isOperator(actor) }
        let events = try mandate.decide(
            change, by: actor?.id, actorIsOperator: actorIsOperator,
            agentAvailable: try state.available(mandate.agent, mandate.asset), now: context.now)
        try context.append(events, to: "mandate/\(id)", &tx)
        for event in events { mandate.apply(event) }
        return mandate
    }

    /// A mandate, visible to its agent and operators.
    public func mandate(_ id: MandateID, by principal: Principal) async throws(KuraError) -> Mandate {
        try await read { reads throws(KuraError) in
            guard let mandate = try reads.mandate(id)?.mandate else { throw KuraError(.notFound, "no mandate \(id)") }
            if principal.id != mandate.agent { try reads.requireRole(.operator, principal, "see another's mandate") }
            return mandate
        }
    }
}
