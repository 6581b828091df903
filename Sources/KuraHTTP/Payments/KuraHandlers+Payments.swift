import Hummingbird
import KuraCore
import KuraService

extension KuraHandlers {
    /// `POST /v1/payments`: the caller pays a payee now. 201 with the signed settlement record.
    func pay(_ call: Call) async throws(KuraError) -> Response {
        let request = try PayRequest.decode(call.json())
        let reply = try await service.pay(request, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply, created: "/v1/payments/\(reply.value.paymentId)")
    }

    /// `GET /v1/payments/{paymentId}?payer=`: a payer's payment (default payer: the caller), for its payer,
    /// its payee or an operator.
    func showPayment(_ call: Call) async throws(KuraError) -> Response {
        guard let paymentId = call.parameters.get("paymentId"), Payment.isValidPaymentId(paymentId) else {
            throw KuraError(.invalidRequest, "paymentId must be 16 to 128 characters of A-Z, a-z, 0-9, '-' and '_'")
        }
        var payer: PartyID?
        if let text = call.query["payer"] { payer = try PartyID(validating: text) }
        return try await JSONResponse.make(service.payment(paymentId, payer: payer, by: call.principal))
    }
}
