import KuraCore

extension KuraService {
    /// The reservation facilitator's operations of ``KuraAPI`` (mandates, positions, prices, verify and settle), bound to the service.
    static let facilitatorOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.createMandate) { (service, call) throws(KuraError) in
            try await service.createMandate(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showMandate) { (service, call) throws(KuraError) in
            try await service.mandate(call.path, by: call.principal)
        },
        OperationBinding(KuraAPI.topUpMandate) { (service, call) throws(KuraError) in
            try await service.changeMandate(
                call.path, .topUp(call.request.amount), by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.revokeMandate) { (service, call) throws(KuraError) in
            _ = try call.request
            return try await service.changeMandate(
                call.path, .revoke, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.openPosition) { (service, call) throws(KuraError) in
            try await service.openPosition(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showPosition) { (service, call) throws(KuraError) in
            try await service.position(call.path, by: call.principal)
        },
        OperationBinding(KuraAPI.repayPosition) { (service, call) throws(KuraError) in
            try await service.actOnPosition(
                call.path, .repay, amount: call.request.amount, by: call.principal,
                idempotencyKey: call.idempotencyKey)
        },
        positionAction(KuraAPI.liquidatePosition, .liquidate), positionAction(KuraAPI.closePosition, .close),
        OperationBinding(KuraAPI.postPrice) { (service, call) throws(KuraError) in
            try await service.postPrice(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.listPrices) { (service, _) throws(KuraError) in
            PriceList(items: try await service.prices())
        },
        OperationBinding(KuraAPI.verifyReservation) { (service, call) throws(KuraError) in
            try await service.verify(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.settleReservation) { (service, call) throws(KuraError) in
            try await service.settle(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showReservation) { (service, call) throws(KuraError) in
            try await service.reservation(call.path, by: call.principal)
        },
    ]

    /// An action on a position that takes no body.
    private static func positionAction(
        _ operation: KuraOperation<PositionID, NoQuery, EmptyRequest, Position>, _ action: PositionAction
    ) -> OperationBinding<PositionID, NoQuery, EmptyRequest, Position> {
        OperationBinding(operation) { (service, call) throws(KuraError) in
            _ = try call.request
            return try await service.actOnPosition(
                call.path, action, amount: nil, by: call.principal, idempotencyKey: call.idempotencyKey)
        }
    }
}
