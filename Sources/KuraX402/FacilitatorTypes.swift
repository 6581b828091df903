import KuraCrypto

// The facilitator messages of x402 v2 (coinbase/x402 `specs/x402-specification-v2.md`, sections 5.3, 5.4
// and 7). `invalidMessage` and `errorMessage` are not in the specification's tables but are in the
// reference SDKs (`python/x402/schemas/responses.py`); Kura fills them for people and never requires them.

/// The body of `POST /verify` and `POST /settle`: `{x402Version, paymentPayload, paymentRequirements}`.
public struct FacilitatorRequest: X402Message {
    public static var malformedReason: X402Reason { .invalidPayload }
    public static var versionPaths: [[String]] { [["x402Version"], ["paymentPayload", "x402Version"]] }

    /// Always 2.
    public var x402Version: Int
    /// What the client sent in `PAYMENT-SIGNATURE`.
    public var paymentPayload: PaymentPayload
    /// What the resource server requires for this request.
    public var paymentRequirements: PaymentRequirements

    public init(paymentPayload: PaymentPayload, paymentRequirements: PaymentRequirements) {
        self.x402Version = Rules.version
        self.paymentPayload = paymentPayload
        self.paymentRequirements = paymentRequirements
    }

    public func validate() throws(X402FieldProblem) {
        try Rules.version(x402Version, "x402Version")
        do { try paymentPayload.validate() } catch { throw X402FieldProblem("paymentPayload.\(error.detail)") }
        try paymentRequirements.validate("paymentRequirements")
    }
}

/// The answer of `POST /verify`. A refusal is still HTTP 200, with `isValid: false` and a reason.
public struct VerifyResponse: X402Message {
    public static var malformedReason: X402Reason { .unexpectedVerifyError }
    public static var versionPaths: [[String]] { [] }

    /// Whether the payment would be accepted.
    public var isValid: Bool
    /// Why not; absent when valid.
    public var invalidReason: X402Reason?
    /// Why not, for people.
    public var invalidMessage: String?
    /// The payer, when known.
    public var payer: String?

    /// An acceptance.
    public static func valid(payer: String?) -> VerifyResponse {
        VerifyResponse(isValid: true, invalidReason: nil, invalidMessage: nil, payer: payer)
    }

    /// A refusal.
    public static func invalid(_ reason: X402Reason, _ message: String?, payer: String?) -> VerifyResponse {
        VerifyResponse(isValid: false, invalidReason: reason, invalidMessage: message, payer: payer)
    }

    public func validate() throws(X402FieldProblem) {
        guard isValid == (invalidReason == nil) else {
            throw X402FieldProblem("invalidReason must be present exactly when isValid is false")
        }
        try Rules.plain(invalidMessage, "invalidMessage")
    }
}

/// `SettleResponse`: the answer of `POST /settle` and the body of the `PAYMENT-RESPONSE` header.
public struct SettleResponse: X402Message {
    public static var malformedReason: X402Reason { .unexpectedSettleError }
    public static var versionPaths: [[String]] { [] }

    /// Whether the payment was settled.
    public var success: Bool
    /// Why not; absent on success.
    public var errorReason: X402Reason?
    /// Why not, for people.
    public var errorMessage: String?
    /// The payer, when known.
    public var payer: String?
    /// The settlement's proof on its rail (for Kura, the base58 `txSignature`); empty when it failed.
    public var transaction: String
    /// The CAIP-2 network it settled on.
    public var network: String
    /// The amount settled, when it can differ from the requirement.
    public var amount: X402Amount?
    /// Extension data (for Kura's `escrow` scheme, the escrow ID; see ``KuraScheme``).
    public var extensions: [String: JSONValue]?

    public init(
        success: Bool, errorReason: X402Reason? = nil, errorMessage: String? = nil, payer: String? = nil,
        transaction: String, network: String, amount: X402Amount? = nil, extensions: [String: JSONValue]? = nil
    ) {
        self.success = success
        self.errorReason = errorReason
        self.errorMessage = errorMessage
        self.payer = payer
        self.transaction = transaction
        self.network = network
        self.amount = amount
        self.extensions = extensions
    }

    public func validate() throws(X402FieldProblem) {
        guard success == (errorReason == nil) else {
            throw X402FieldProblem("errorReason must be present exactly when success is false")
        }
        guard success || transaction.isEmpty else {
            throw X402FieldProblem("transaction must be empty when success is false")
        }
        if success { try Rules.token(transaction, "transaction") }
        try Rules.plain(errorMessage, "errorMessage")
        try Rules.network(network, "network")
    }
}

/// One `(x402Version, scheme, network)` a facilitator handles.
public struct SupportedKind: Codable, Sendable, Equatable, Hashable {
    /// The protocol version (2).
    public var x402Version: Int
    /// The scheme.
    public var scheme: String
    /// The CAIP-2 network.
    public var network: String
    /// Scheme-specific configuration.
    public var extra: [String: JSONValue]?

    public init(scheme: String, network: String, extra: [String: JSONValue]? = nil) {
        self.x402Version = Rules.version
        self.scheme = scheme
        self.network = network
        self.extra = extra
    }
}

/// The answer of `GET /supported`.
public struct SupportedResponse: X402Message {
    public static var malformedReason: X402Reason { .unexpectedVerifyError }
    public static var versionPaths: [[String]] { [] }

    /// The kinds handled.
    public var kinds: [SupportedKind]
    /// Extension identifiers implemented (e.g. `payment-identifier`).
    public var extensions: [String]
    /// CAIP-2 patterns (`kura:*`) to the public keys that sign settlements.
    public var signers: [String: [String]]

    public init(kinds: [SupportedKind], extensions: [String], signers: [String: [String]]) {
        self.kinds = kinds
        self.extensions = extensions
        self.signers = signers
    }

    public func validate() throws(X402FieldProblem) {
        for (i, kind) in kinds.enumerated() {
            try Rules.scheme(kind.scheme, "kinds[\(i)].scheme")
            try Rules.network(kind.network, "kinds[\(i)].network")
        }
        for (i, name) in extensions.enumerated() { try Rules.token(name, "extensions[\(i)]", max: 128) }
    }
}
