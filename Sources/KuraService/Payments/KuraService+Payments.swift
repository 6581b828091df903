import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Pays `request.payee` from the caller's available funds now, less the settlement fee: one
    /// `payment.settled` event with its postings and a receipt, the record signed by Kura (`txSignature`).
    /// A `paymentId` the caller already used is `duplicate_payment`.
    public func pay(_ request: PayRequest, by principal: Principal, idempotencyKey: String?) async throws(KuraError)
        -> Reply<Payment>
    {
        let fees = configuration.fees
        let key = signer.key
        return try await command(
            "payment.pay", encoding: request, by: principal, idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Payment in
            let state = tx.state
            try state.requireActive(principal)
            let payee = try state.requireParty(request.payee)
            let stream = Payment.stream(payer: principal.id, paymentId: request.paymentId)
            let version = try tx.version(of: stream)
            let used = Payment.isValidPaymentId(request.paymentId) && version > 0
            let payment = try PaymentEvent.decideSettle(
                id: PaymentID.derive(command: context.command, seq: context.seq), request: request, payer: principal.id,
                payee: payee, available: try state.available(principal.id, request.asset), fees: fees,
                paymentIdUsed: used, now: context.now
            ).signed(with: key)
            try context.append([PaymentEvent.settled(payment)], to: stream, &tx)
            return payment
        }
    }

    /// The payment `paymentId` of `payer` (default: the caller), visible to its payer, its payee and operators.
    /// To anyone else it does not exist: a payment ID is the payer's choice and may be guessable, so a refusal
    /// that differed from "not found" would tell a stranger which payments a party made.
    public func payment(_ paymentId: String, payer: PartyID?, by principal: Principal) async throws(KuraError)
        -> Payment
    {
        let payer = payer ?? principal.id
        return try await read { reads throws(KuraError) in
            let notFound = KuraError(.notFound, "no payment '\(paymentId.prefix(128))' of \(payer)")
            guard let payment = try reads.payment(payer: payer, paymentId: paymentId)?.payment else { throw notFound }
            if principal.id != payment.payer && principal.id != payment.payee {
                guard try reads.canAct(principal, as: .operator) else { throw notFound }
            }
            return payment
        }
    }
}
