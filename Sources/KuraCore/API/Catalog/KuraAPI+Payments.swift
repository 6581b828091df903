extension KuraAPI {
    /// `POST /v1/payments`: the caller pays a payee now; 201 with the Kura-signed settlement record.
    public static let pay = KuraOperation<NoPath, NoQuery, PayRequest, Payment>.post(
        "pay", "/v1/payments",
        problems: [.forbidden, .notFound, .idempotencyConflict, .insufficientFunds, .duplicatePayment],
        location: { "/v1/payments/\($0.paymentId)" })

    /// `GET /v1/payments/{paymentId}?payer=`: a payer's payment (default payer: the caller), for its payer, its
    /// payee and operators.
    public static let showPayment = KuraOperation<PaymentIDPath, PaymentQuery, EmptyRequest, Payment>.get(
        "showPayment", "/v1/payments/{paymentId}", problems: [.forbidden, .notFound])

    /// The direct payments.
    static let payments: [any KuraOperationDescription] = [pay, showPayment]
}

/// The `{paymentId}` of a payment's path: the payer's own ID for it, 16 to 128 characters of `A-Z a-z 0-9 - _`,
/// taken as sent (a percent-encoded one is refused, as it always was).
public struct PaymentIDPath: OperationPath, Equatable {
    public var paymentId: String

    public init(_ paymentId: String) { self.paymentId = paymentId }

    public static var percentDecoded: Bool { false }

    public init(pathValues: [String]) throws(KuraError) {
        guard pathValues.count == 1, Payment.isValidPaymentId(pathValues[0]) else {
            throw KuraError(.invalidRequest, "paymentId must be 16 to 128 characters of A-Z, a-z, 0-9, '-' and '_'")
        }
        paymentId = pathValues[0]
    }

    public var pathValues: [String] { [paymentId] }
}

/// `GET /v1/payments/{paymentId}?payer=`: whose payment ID it is (default: the caller's).
public struct PaymentQuery: OperationQuery, Equatable {
    public var payer: PartyID?

    public init(payer: PartyID? = nil) { self.payer = payer }

    public static var names: [String] { ["payer"] }

    public init(query: [String: String]) throws(KuraError) {
        payer = try query["payer"].map { text throws(KuraError) in try PartyID(validating: text) }
    }

    public var queryItems: [(name: String, value: String)] { payer.map { [("payer", $0.rawValue)] } ?? [] }
}
