import KuraCore

extension KuraService {
    /// The escrow operations of ``KuraAPI``, bound to the service.
    static let escrowOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.openEscrow) { (service, call) throws(KuraError) in
            try await service.openEscrow(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.listEscrows) { (service, call) throws(KuraError) in
            try await service.escrows(
                party: call.query.party, state: call.query.state, cursor: call.query.cursor, limit: call.query.limit,
                by: call.principal)
        },
        OperationBinding(KuraAPI.showEscrow) { (service, call) throws(KuraError) in
            try await service.escrow(call.path, by: call.principal)
        },
        act(KuraAPI.deliverEscrow, .deliver), act(KuraAPI.confirmEscrow, .confirm),
        act(KuraAPI.disputeEscrow, .dispute), act(KuraAPI.cancelEscrow, .cancel), act(KuraAPI.refundEscrow, .refund),
    ]

    /// An action on an existing escrow: the service reads the body for the action itself.
    private static func act<Body>(_ operation: KuraOperation<EscrowID, NoQuery, Body, Escrow>, _ action: EscrowAction)
        -> OperationBinding<EscrowID, NoQuery, Body, Escrow>
    {
        OperationBinding(operation) { (service, call) throws(KuraError) in
            try await service.act(
                on: call.path, action, body: call.body, by: call.principal, idempotencyKey: call.idempotencyKey)
        }
    }
}
