import KuraCore

extension KuraService {
    /// The direct payment operations of ``KuraAPI``, bound to the service.
    static let paymentOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.pay) { (service, call) throws(KuraError) in
            try await service.pay(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showPayment) { (service, call) throws(KuraError) in
            try await service.payment(call.path.paymentId, payer: call.query.payer, by: call.principal)
        },
    ]
}
