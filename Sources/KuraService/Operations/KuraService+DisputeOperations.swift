import KuraCore

extension KuraService {
    /// The dispute operations of ``KuraAPI``, bound to the service.
    static let disputeOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.listDisputes) { (service, call) throws(KuraError) in
            try await service.disputes(
                mine: call.query.mine, state: call.query.state, cursor: call.query.cursor, limit: call.query.limit,
                by: call.principal)
        },
        OperationBinding(KuraAPI.showDispute) { (service, call) throws(KuraError) in
            try await service.dispute(call.path, by: call.principal)
        },
        act(KuraAPI.addDisputeEvidence, .evidence), act(KuraAPI.ruleOnDispute, .rulings),
        act(KuraAPI.recuseFromDispute, .recusals), act(KuraAPI.appealDispute, .appeal),
    ]

    /// An action on an open dispute: the service reads the body for the action itself.
    private static func act<Body>(
        _ operation: KuraOperation<DisputeID, NoQuery, Body, Dispute>, _ action: DisputeAction
    ) -> OperationBinding<DisputeID, NoQuery, Body, Dispute> {
        OperationBinding(operation) { (service, call) throws(KuraError) in
            try await service.act(
                onDispute: call.path, action, body: call.body, by: call.principal, idempotencyKey: call.idempotencyKey)
        }
    }
}
