/// The seed's x402 dialect: plain `X-Payment-*` headers on the 402, and a retry that carries the receipt of a
/// payment made out of band (`X-Payment-Receipt`) with the payment's ID (`X-Payment-ID`).
///
/// Every header must appear once; values are plain printable ASCII, amounts and times canonical decimals.
public enum SeedHeaders {
    /// Header names, as the seed spells them (HTTP compares them case-insensitively).
    public static let amount = "X-Payment-Amount"
    public static let token = "X-Payment-Token"
    public static let recipient = "X-Payment-Recipient"
    public static let network = "X-Payment-Network"
    /// Epoch seconds.
    public static let deadline = "X-Payment-Deadline"
    public static let id = "X-Payment-ID"
    public static let receipt = "X-Payment-Receipt"

    /// Reads one header through `values` (all the values of a name, matched case-insensitively by the caller).
    static func single(
        _ name: String, _ values: (String) -> [String], _ reason: X402Reason
    ) throws(X402Error) -> String {
        let found = values(name)
        guard let value = found.first else { throw X402Error(.missingHeader, reason: reason, "\(name) is missing") }
        guard found.count == 1 else {
            throw X402Error(.invalidField, reason: reason, "\(name) appears \(found.count) times")
        }
        guard value.utf8.count <= X402Limits.maxHeaderBytes else {
            throw X402Error(.tooLong, reason: reason, "\(name) is longer than \(X402Limits.maxHeaderBytes) bytes")
        }
        return value
    }

    /// A lookup over plain pairs, matching names case-insensitively (for tests and simple callers).
    public static func lookup(_ pairs: [(name: String, value: String)]) -> (String) -> [String] {
        { wanted in pairs.filter { $0.name.lowercased() == wanted.lowercased() }.map(\.value) }
    }
}

/// What a seed-dialect 402 asks for: pay `amount` of `token` to `recipient` on `network` before `deadline`,
/// quoting `paymentID`.
public struct SeedPaymentRequest: Sendable, Equatable, Hashable {
    public var amount: X402Amount
    /// The asset.
    public var token: String
    /// Who is paid (a Kura party ID).
    public var recipient: String
    /// The network (Kura writes its CAIP-2 ID; the seed dialect accepts any plain token).
    public var network: String
    /// Pay before this (epoch seconds).
    public var deadline: EpochSeconds
    /// The payment's ID, quoted back on the retry.
    public var paymentID: String

    public init(
        amount: X402Amount, token: String, recipient: String, network: String, deadline: EpochSeconds,
        paymentID: String
    ) {
        self.amount = amount
        self.token = token
        self.recipient = recipient
        self.network = network
        self.deadline = deadline
        self.paymentID = paymentID
    }

    /// The headers to send with the 402, in this order.
    public var headers: [(name: String, value: String)] {
        [
            (SeedHeaders.amount, amount.description), (SeedHeaders.token, token),
            (SeedHeaders.recipient, recipient), (SeedHeaders.network, network),
            (SeedHeaders.deadline, deadline.description), (SeedHeaders.id, paymentID),
        ]
    }

    /// Reads the six headers; refuses with ``X402Reason/invalidPaymentRequirements``.
    public static func parse(_ values: (String) -> [String]) throws(X402Error) -> SeedPaymentRequest {
        let reason = X402Reason.invalidPaymentRequirements
        func invalid(_ detail: String) -> X402Error { X402Error(.invalidField, reason: reason, detail) }
        let amountText = try SeedHeaders.single(SeedHeaders.amount, values, reason)
        guard let amount = X402Amount(text: amountText) else {
            throw invalid(
                "\(SeedHeaders.amount) \(WireText.quote(amountText)) is not a decimal integer from 0 to 2^53-1")
        }
        let deadlineText = try SeedHeaders.single(SeedHeaders.deadline, values, reason)
        guard let deadline = EpochSeconds(text: deadlineText) else {
            throw invalid(
                "\(SeedHeaders.deadline) \(WireText.quote(deadlineText)) is not epoch seconds from 0 to \(X402Limits.maxEpochSeconds)"
            )
        }
        var texts: [String] = []
        for name in [SeedHeaders.token, SeedHeaders.recipient, SeedHeaders.network] {
            let text = try SeedHeaders.single(name, values, reason)
            guard WireText.isToken(text, max: 256) else {
                throw invalid("\(name) \(WireText.quote(text)) must be 1 to 256 printable ASCII characters, no spaces")
            }
            texts.append(text)
        }
        let id = try SeedHeaders.single(SeedHeaders.id, values, reason)
        guard PaymentIdentifier.isValid(id) else {
            throw invalid("\(SeedHeaders.id) \(WireText.quote(id)) \(PaymentIdentifier.rule)")
        }
        return SeedPaymentRequest(
            amount: amount, token: texts[0], recipient: texts[1], network: texts[2], deadline: deadline,
            paymentID: id)
    }
}

/// The seed dialect's paid retry: the receipt of the payment and the payment's ID.
public struct SeedPaymentRetry: Sendable, Equatable, Hashable {
    /// The proof of payment (for Kura, the settlement's `txSignature`, base58).
    public var receipt: String
    /// The ID from the 402.
    public var paymentID: String

    public init(receipt: String, paymentID: String) {
        self.receipt = receipt
        self.paymentID = paymentID
    }

    /// The headers to send on the retry.
    public var headers: [(name: String, value: String)] {
        [(SeedHeaders.receipt, receipt), (SeedHeaders.id, paymentID)]
    }

    /// Reads the two headers; refuses with ``X402Reason/invalidPayload``.
    public static func parse(_ values: (String) -> [String]) throws(X402Error) -> SeedPaymentRetry {
        let reason = X402Reason.invalidPayload
        let receipt = try SeedHeaders.single(SeedHeaders.receipt, values, reason)
        guard WireText.isToken(receipt, max: 1024) else {
            throw X402Error(
                .invalidField, reason: reason,
                "\(SeedHeaders.receipt) must be 1 to 1024 printable ASCII characters without spaces")
        }
        let id = try SeedHeaders.single(SeedHeaders.id, values, reason)
        guard PaymentIdentifier.isValid(id) else {
            throw X402Error(
                .invalidField, reason: reason, "\(SeedHeaders.id) \(WireText.quote(id)) \(PaymentIdentifier.rule)")
        }
        return SeedPaymentRetry(receipt: receipt, paymentID: id)
    }
}
