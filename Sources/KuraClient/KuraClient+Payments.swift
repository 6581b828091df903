import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/payments`: pays a payee now; answers the Kura-signed settlement record.
    /// Retried with the same Idempotency-Key, so a retry after a lost answer does not pay twice.
    public func pay(_ request: PayRequest, idempotencyKey: String? = nil) async throws(KuraClientError) -> Payment {
        try await perform(KuraAPI.pay, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/payments/{paymentId}?payer=`: a payer's payment (default payer: the caller).
    public func payment(_ paymentId: String, payer: PartyID? = nil) async throws(KuraClientError) -> Payment {
        try await perform(
            KuraAPI.showPayment, at: PaymentIDPath(paymentId), query: PaymentQuery(payer: payer), body: EmptyRequest())
    }
}
