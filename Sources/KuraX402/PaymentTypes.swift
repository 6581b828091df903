import KuraCrypto

// The x402 v2 payment messages, field for field as the specification names them
// (coinbase/x402 `specs/x402-specification-v2.md`, sections 5.1 and 5.2).

/// `ResourceInfo`: the protected resource a payment is for.
public struct ResourceInfo: Codable, Sendable, Equatable, Hashable {
    /// The resource's URL.
    public var url: String
    /// For people.
    public var description: String?
    /// The MIME type of the paid response.
    public var mimeType: String?

    public init(url: String, description: String? = nil, mimeType: String? = nil) {
        self.url = url
        self.description = description
        self.mimeType = mimeType
    }

    func validate(_ path: String) throws(X402FieldProblem) {
        try Rules.token(url, "\(path).url")
        try Rules.plain(description, "\(path).description")
        if let mimeType { try Rules.token(mimeType, "\(path).mimeType", max: 255) }
    }
}

/// `PaymentRequirements`: one way to pay that a resource server accepts.
public struct PaymentRequirements: Codable, Sendable, Equatable, Hashable {
    /// The scheme, e.g. `exact` or Kura's `escrow`.
    public var scheme: String
    /// The CAIP-2 network, e.g. `eip155:8453` or a Kura instance's `kura:1a2b3c4d`.
    public var network: String
    /// Atomic units, as a decimal string on the wire.
    public var amount: X402Amount
    /// The asset (a token address, a currency code, or a Kura asset such as `USDC`).
    public var asset: String
    /// Who is paid (for Kura, a party ID `pty_…`).
    public var payTo: String
    /// The longest the payment may take to complete.
    public var maxTimeoutSeconds: UInt64
    /// Scheme-specific terms (for Kura's `escrow`, the escrow terms; see ``EscrowTermsExtra``).
    public var extra: [String: JSONValue]?

    public init(
        scheme: String, network: String, amount: X402Amount, asset: String, payTo: String,
        maxTimeoutSeconds: UInt64, extra: [String: JSONValue]? = nil
    ) {
        self.scheme = scheme
        self.network = network
        self.amount = amount
        self.asset = asset
        self.payTo = payTo
        self.maxTimeoutSeconds = maxTimeoutSeconds
        self.extra = extra
    }

    func validate(_ path: String) throws(X402FieldProblem) {
        try Rules.scheme(scheme, "\(path).scheme")
        try Rules.network(network, "\(path).network")
        try Rules.token(asset, "\(path).asset", max: 256)
        try Rules.token(payTo, "\(path).payTo", max: 256)
        try Rules.seconds(maxTimeoutSeconds, "\(path).maxTimeoutSeconds")
    }
}

extension PaymentRequirements: X402Message {
    public static var malformedReason: X402Reason { .invalidPaymentRequirements }
    public static var versionPaths: [[String]] { [] }
    public func validate() throws(X402FieldProblem) { try validate("paymentRequirements") }
}

/// `PaymentRequired`: the body of the `PAYMENT-REQUIRED` header of a 402 answer.
public struct PaymentRequired: X402Message {
    public static var malformedReason: X402Reason { .invalidPaymentRequirements }
    public static var versionPaths: [[String]] { [["x402Version"]] }

    /// Always 2.
    public var x402Version: Int
    /// Why payment is required, for people.
    public var error: String?
    /// The resource.
    public var resource: ResourceInfo
    /// The ways to pay; at least one.
    public var accepts: [PaymentRequirements]
    /// Extensions offered, by identifier (e.g. `payment-identifier`), each `{info, schema}`.
    public var extensions: [String: JSONValue]?

    public init(
        error: String? = nil, resource: ResourceInfo, accepts: [PaymentRequirements],
        extensions: [String: JSONValue]? = nil
    ) {
        self.x402Version = Rules.version
        self.error = error
        self.resource = resource
        self.accepts = accepts
        self.extensions = extensions
    }

    public func validate() throws(X402FieldProblem) {
        try Rules.version(x402Version, "x402Version")
        try Rules.plain(error, "error")
        try resource.validate("resource")
        guard !accepts.isEmpty, accepts.count <= 16 else {
            throw X402FieldProblem("accepts must list 1 to 16 payment requirements, got \(accepts.count)")
        }
        for (i, requirement) in accepts.enumerated() { try requirement.validate("accepts[\(i)]") }
    }
}

/// `PaymentPayload`: the body of the `PAYMENT-SIGNATURE` header of a paid retry.
public struct PaymentPayload: X402Message {
    public static var malformedReason: X402Reason { .invalidPayload }
    public static var versionPaths: [[String]] { [["x402Version"]] }

    /// Always 2.
    public var x402Version: Int
    /// The resource being paid for.
    public var resource: ResourceInfo?
    /// The requirements the client chose, copied from the 402.
    public var accepted: PaymentRequirements
    /// Scheme-specific proof (for Kura's schemes, ``KuraPaymentProof``).
    public var payload: [String: JSONValue]
    /// Extensions echoed from the 402, with the client's additions (e.g. a payment identifier).
    public var extensions: [String: JSONValue]?

    public init(
        resource: ResourceInfo? = nil, accepted: PaymentRequirements, payload: [String: JSONValue],
        extensions: [String: JSONValue]? = nil
    ) {
        self.x402Version = Rules.version
        self.resource = resource
        self.accepted = accepted
        self.payload = payload
        self.extensions = extensions
    }

    public func validate() throws(X402FieldProblem) {
        try Rules.version(x402Version, "x402Version")
        try resource?.validate("resource")
        try accepted.validate("accepted")
        if let id = try PaymentIdentifier.id(in: extensions), !PaymentIdentifier.isValid(id) {
            throw X402FieldProblem(
                "extensions.payment-identifier.info.id \(WireText.quote(id)) \(PaymentIdentifier.rule)")
        }
    }
}
