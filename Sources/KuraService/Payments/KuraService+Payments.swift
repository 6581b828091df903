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
            "payment.pay", request: try .of(request), by: principal, idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Payment in
            try Self.requireActive(principal, tx.db)
            let payee = try Queries.requireParty(request.payee, tx.db)
            let stream = Payment.stream(payer: principal.id, paymentId: request.paymentId)
            let version = try tx.version(of: stream)
            let used = Payment.isValidPaymentId(request.paymentId) && version > 0
            let payment = try PaymentEvent.decideSettle(
                id: PaymentID.derive(command: context.command, seq: context.seq), request: request, payer: principal.id,
                payee: payee, available: try Queries.available(principal.id, request.asset, tx.db), fees: fees,
                paymentIdUsed: used, now: context.now
            ).signed(with: key)
            try context.append([PaymentEvent.settled(payment)], to: stream, &tx)
            return payment
        }
    }

    /// The payment `paymentId` of `payer` (default: the caller), visible to its payer, its payee and operators.
    public func payment(_ paymentId: String, payer: PartyID?, by principal: Principal) throws(KuraError) -> Payment {
        let payer = payer ?? principal.id
        return try read { db throws(KuraError) in
            let statement = try db.statement("SELECT json FROM payments WHERE payer = ? AND payment_id = ?")
            try statement.bind([.text(payer.rawValue), .text(paymentId)])
            guard let text = try statement.rows({ row throws(KuraError) in row.text(0) }).first else {
                throw KuraError(.notFound, "no payment '\(paymentId.prefix(128))' of \(payer)")
            }
            let payment = try Queries.decode(Payment.self, text)
            if principal.id != payment.payer && principal.id != payment.payee {
                try Self.requireRole(.operator, principal, db, "see another party's payment")
            }
            return payment
        }
    }
}

/// The `payments` read model and the receipt of each settled payment.
enum PaymentProjection {
    static let schema = """
        CREATE TABLE IF NOT EXISTS payments(
            payer TEXT NOT NULL, payment_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL,
            payee TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY(payer, payment_id));
        CREATE INDEX IF NOT EXISTS payments_by_payee ON payments(payee, seq);
        """

    static func apply(_ event: PaymentEvent, _ envelope: Event, receipts: ReceiptLog, _ db: SQLiteConnection)
        throws(KuraError)
    {
        let payment = event.payment
        try db.run(
            "INSERT INTO payments(payer, payment_id, id, seq, payee, json) VALUES (?, ?, ?, ?, ?, ?)",
            .text(payment.payer.rawValue), .text(payment.paymentId), .text(payment.id.rawValue),
            .integer(Int64(envelope.seq)), .text(payment.payee.rawValue), .text(try KuraProjector.text(.of(payment))))
        try receipts.append(envelope: envelope, db) { index in
            Receipt(
                index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: event.type,
                subject: payment.id.rawValue, payer: payment.payer, payee: payment.payee, amount: payment.amount,
                asset: payment.asset, outcome: "settled", at: envelope.at)
        }
    }
}
