import KuraCrypto

// The messages of a paid request read themselves from their parsed members (`JSONMemberReadable`): a facilitator
// request and a Kura proof in Kura, the `PAYMENT-SIGNATURE` payload and Kura's answer in a provider. Through
// `Decodable` they took about a tenth of the threads that serve them (Docs/performance.md). Whatever a reader is
// not sure of goes to `Decodable`, which refuses it as before; `MessageReadingTests` holds each to `Decodable`.

extension JSONMembers {
    func version() throws(Unread) -> Int { Int(try integer("x402Version")) }
}

extension ResourceInfo: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            url: try json.string("url"), description: try json.optionalString("description"),
            mimeType: try json.optionalString("mimeType"))
    }
}

extension PaymentRequirements: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            scheme: try json.string("scheme"), network: try json.string("network"),
            amount: try json.string("amount", as: X402Amount.init(text:)),
            asset: try json.string("asset"), payTo: try json.string("payTo"),
            maxTimeoutSeconds: try json.unsigned("maxTimeoutSeconds"), extra: try json.optionalObject("extra"))
    }
}

extension PaymentPayload: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            resource: try json.optionalNested("resource"), accepted: try json.nested("accepted"),
            payload: try json.object("payload"), extensions: try json.optionalObject("extensions"))
        x402Version = try json.version()
    }
}

extension FacilitatorRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            paymentPayload: try json.nested("paymentPayload"),
            paymentRequirements: try json.nested("paymentRequirements"))
        x402Version = try json.version()
    }
}

extension VerifyResponse: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            isValid: try json.bool("isValid"),
            invalidReason: try json.optionalString("invalidReason", as: X402Reason.init(rawValue:)),
            invalidMessage: try json.optionalString("invalidMessage"), payer: try json.optionalString("payer"))
    }
}

extension SettleResponse: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            success: try json.bool("success"),
            errorReason: try json.optionalString("errorReason", as: X402Reason.init(rawValue:)),
            errorMessage: try json.optionalString("errorMessage"), payer: try json.optionalString("payer"),
            transaction: try json.string("transaction"), network: try json.string("network"),
            amount: try json.optionalString("amount", as: X402Amount.init(text:)),
            extensions: try json.optionalObject("extensions"))
    }
}

extension KuraPaymentProof: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(signature: try json.string("signature"), authorization: try json.nested("authorization"))
    }
}

extension KuraAuthorization: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            payer: try json.string("payer"), payTo: try json.string("payTo"),
            amount: try json.string("amount", as: X402Amount.init(text:)),
            asset: try json.string("asset"), resource: try json.string("resource"), network: try json.string("network"),
            nonce: try json.string("nonce"), validAfter: try json.string("validAfter", as: EpochSeconds.init(text:)),
            validBefore: try json.string("validBefore", as: EpochSeconds.init(text:)),
            extra: try json.optionalNested("extra"))
    }
}

extension EscrowTermsExtra: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            deliverWithinSeconds: try json.unsigned("deliverWithinSeconds"),
            confirmWindowSeconds: try json.unsigned("confirmWindowSeconds"),
            disputeWindowSeconds: try json.unsigned("disputeWindowSeconds"))
        paymentFlow = try json.string("paymentFlow")
    }
}
