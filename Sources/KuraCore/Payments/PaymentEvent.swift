import KuraCrypto

/// What happened to a direct payment (stream `payment/<payer>/<paymentId>`): it settled, once.
public enum PaymentEvent: Sendable, Equatable, DomainEvent {
    /// Funds moved from the payer to the payee (`net`) and to Kura (`fee`); the record is signed.
    case settled(Payment, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case settled = "payment.settled"
    }

    /// Which kind of event this is.
    public var kind: Kind { .settled }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    /// The ledger postings.
    public var postings: [Posting] {
        switch self {
        case .settled(_, let postings): postings
        }
    }

    /// The settled payment.
    public var payment: Payment {
        switch self {
        case .settled(let payment, _): payment
        }
    }

    private struct Settled: Codable { var payment: Payment, postings: [Posting] }

    /// The facts as a JSON object, `{payment, postings}`.
    public var payload: JSONValue {
        switch self {
        case .settled(let payment, let postings): EventPayload.encode(Settled(payment: payment, postings: postings))
        }
    }

    /// Reads an event back from the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard type == Kind.settled.rawValue else { throw EventPayload.unknown(type) }
        let body = try EventPayload.decode(Settled.self, from: payload, eventType: type)
        self = .settled(body.payment, postings: body.postings)
    }

    /// Decides a direct payment. Pure: the caller passes the payee, the payer's available balance, the fees,
    /// whether the payer already used `paymentId`, and the time; the answer is unsigned (the caller signs it).
    public static func decideSettle(
        id: PaymentID, request: PayRequest, payer: PartyID, payee: Party, available: Amount, fees: FeeSchedule,
        paymentIdUsed: Bool, now: Timestamp
    ) throws(KuraError) -> Payment {
        func invalid(_ why: String) -> KuraError { KuraError(.invalidRequest, why) }
        guard Payment.isValidPaymentId(request.paymentId) else {
            throw invalid("paymentId must be 16 to 128 characters of A-Z, a-z, 0-9, '-' and '_'")
        }
        guard request.amount.units > 0 else { throw invalid("amount must be more than zero") }
        guard payee.id != payer else { throw invalid("payee must differ from payer") }
        if let resource = request.resource, resource.isEmpty || !TextRules.isPlainText(resource, max: 2048) {
            throw invalid("resource must be 1 to 2048 characters without control characters")
        }
        guard payee.status == .active else {
            throw KuraError(.forbidden, "payee \(payee.id) is \(payee.status.rawValue)")
        }
        guard !paymentIdUsed else {
            throw KuraError(.duplicatePayment, "\(payer) already made payment '\(request.paymentId)'")
        }
        guard request.amount <= available else {
            throw KuraError(
                .insufficientFunds, "\(payer) has \(available) \(request.asset) available, asked \(request.amount)")
        }
        let (net, fee) = fees.settlementSplit(request.amount)
        return Payment(
            id: id, paymentId: request.paymentId, payer: payer, payee: payee.id, amount: request.amount,
            asset: request.asset, net: net, fee: fee, resource: request.resource, settledAt: now)
    }

    /// The event of a decided (and signed) payment, with its postings: net to the payee, fee to Kura.
    public static func settled(_ payment: Payment) -> PaymentEvent {
        var postings: [Posting] = []
        if payment.net.units > 0 {
            postings.append(
                Posting(
                    from: .available(payment.payer), to: .available(payment.payee), asset: payment.asset,
                    amount: payment.net))
        }
        if payment.fee.units > 0 {
            postings.append(
                Posting(from: .available(payment.payer), to: .fees, asset: payment.asset, amount: payment.fee))
        }
        return .settled(payment, postings: postings)
    }
}
