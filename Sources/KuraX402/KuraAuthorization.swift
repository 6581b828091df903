import KuraCrypto

/// Kura's two x402 schemes on a `kura:` network.
public enum KuraScheme: String, Sendable, Codable, CaseIterable {
    /// Pay `amount` to `payTo` now.
    case exact
    /// Lock `amount` for `payTo` as an escrow with the terms in `extra`; settlement answers the escrow ID.
    case escrow
}

/// The escrow terms of the `escrow` scheme, carried in `PaymentRequirements.extra` and signed again in the
/// authorization's `extra`. `paymentFlow: "escrow"` says the payment is not a plain transfer.
///
/// Windows are in seconds, like `maxTimeoutSeconds`: the payee must deliver within `deliverWithinSeconds` of
/// the lock; after delivery the payer has `confirmWindowSeconds` to confirm (then it is released) and may
/// dispute during the first `disputeWindowSeconds` of it.
public struct EscrowTermsExtra: Codable, Sendable, Equatable, Hashable {
    /// The value of `paymentFlow`.
    public static let paymentFlowValue = "escrow"
    static let fields: Set<String> = [
        "paymentFlow", "deliverWithinSeconds", "confirmWindowSeconds", "disputeWindowSeconds",
    ]

    /// Always `escrow`.
    public var paymentFlow: String
    public var deliverWithinSeconds: UInt64
    public var confirmWindowSeconds: UInt64
    public var disputeWindowSeconds: UInt64

    public init(deliverWithinSeconds: UInt64, confirmWindowSeconds: UInt64, disputeWindowSeconds: UInt64) {
        self.paymentFlow = Self.paymentFlowValue
        self.deliverWithinSeconds = deliverWithinSeconds
        self.confirmWindowSeconds = confirmWindowSeconds
        self.disputeWindowSeconds = disputeWindowSeconds
    }

    /// The members, for `PaymentRequirements.extra`.
    public var extra: [String: JSONValue] {
        [
            "paymentFlow": .string(paymentFlow), "deliverWithinSeconds": .number(Double(deliverWithinSeconds)),
            "confirmWindowSeconds": .number(Double(confirmWindowSeconds)),
            "disputeWindowSeconds": .number(Double(disputeWindowSeconds)),
        ]
    }

    /// Reads `extra` strictly: exactly the four members, `paymentFlow` `escrow`, windows of 1 second to
    /// ``X402Limits/maxEpochSeconds``, the dispute window no longer than the confirm window.
    public static func parse(_ extra: [String: JSONValue]?) throws(X402FieldProblem) -> EscrowTermsExtra {
        guard let extra else { throw X402FieldProblem("extra must hold the escrow terms") }
        if let unknown = extra.keys.sorted().first(where: { !fields.contains($0) }) {
            throw X402FieldProblem("extra has an unknown member \(WireText.quote(unknown))")
        }
        let terms: EscrowTermsExtra
        do { terms = try JSONValue.object(extra).decode(EscrowTermsExtra.self) } catch {
            throw X402FieldProblem("extra: \(error.reason)")
        }
        guard terms.paymentFlow == paymentFlowValue else {
            throw X402FieldProblem("extra.paymentFlow must be '\(paymentFlowValue)'")
        }
        for (name, value) in [
            ("deliverWithinSeconds", terms.deliverWithinSeconds), ("confirmWindowSeconds", terms.confirmWindowSeconds),
            ("disputeWindowSeconds", terms.disputeWindowSeconds),
        ] where value == 0 || value > X402Limits.maxEpochSeconds {
            throw X402FieldProblem("extra.\(name) must be from 1 to \(X402Limits.maxEpochSeconds)")
        }
        guard terms.disputeWindowSeconds <= terms.confirmWindowSeconds else {
            throw X402FieldProblem("extra.disputeWindowSeconds must not be longer than confirmWindowSeconds")
        }
        return terms
    }
}

/// What the payer signs in Kura's schemes: pay `amount` of `asset` to `payTo` for `resource`, on `network`,
/// once (`nonce`), between `validAfter` (inclusive) and `validBefore` (exclusive); for `escrow`, on the terms
/// in `extra`. The signature is Ed25519 over the RFC 8785 canonical JSON of this object.
///
/// Modelled on the EIP-3009 authorization of the `exact` EVM scheme (`from`/`to`/`value` become
/// `payer`/`payTo`/`amount`); `network` is signed too, so an authorization cannot be replayed on another instance.
public struct KuraAuthorization: Codable, Sendable, Equatable, Hashable {
    static let fields: Set<String> = [
        "payer", "payTo", "amount", "asset", "resource", "network", "nonce", "validAfter", "validBefore", "extra",
    ]

    /// The paying party (`pty_…`), whose registered key must have signed.
    public var payer: String
    /// The paid party.
    public var payTo: String
    public var amount: X402Amount
    public var asset: String
    /// The resource URL paid for.
    public var resource: String
    /// The `kura:` network ID.
    public var network: String
    /// 32 random bytes as 64 lowercase hex digits, unique per payer: the facilitator settles a nonce once.
    public var nonce: String
    /// Valid from this second (inclusive).
    public var validAfter: EpochSeconds
    /// Valid until this second (exclusive).
    public var validBefore: EpochSeconds
    /// The escrow terms (scheme `escrow` only).
    public var extra: EscrowTermsExtra?

    public init(
        payer: String, payTo: String, amount: X402Amount, asset: String, resource: String, network: String,
        nonce: String, validAfter: EpochSeconds, validBefore: EpochSeconds, extra: EscrowTermsExtra? = nil
    ) {
        self.payer = payer
        self.payTo = payTo
        self.amount = amount
        self.asset = asset
        self.resource = resource
        self.network = network
        self.nonce = nonce
        self.validAfter = validAfter
        self.validBefore = validBefore
        self.extra = extra
    }

    /// The bytes the payer signs: the RFC 8785 canonical JSON of the authorization.
    public func signedBytes() -> [UInt8] {
        // Only strings and the terms' windows, which `EscrowTermsExtra.parse` holds below 2^53: writing them
        // cannot fail for an authorization read from the wire (one built in code with a larger window traps).
        try! canonicalJSON()
    }

    func validate() throws(X402FieldProblem) {
        try Rules.token(payer, "authorization.payer", max: 256)
        try Rules.token(payTo, "authorization.payTo", max: 256)
        try Rules.token(asset, "authorization.asset", max: 256)
        try Rules.token(resource, "authorization.resource")
        try Rules.network(network, "authorization.network")
        guard nonce.utf8.count == 64, Hex.decode(nonce) != nil, nonce == nonce.lowercased() else {
            throw X402FieldProblem("authorization.nonce must be 64 lowercase hex digits (32 bytes)")
        }
    }
}

/// The `payload` of a `PaymentPayload` in Kura's schemes: `{signature, authorization}`, the signature being
/// standard base64 of the 64-byte Ed25519 signature.
public struct KuraPaymentProof: Codable, Sendable, Equatable, Hashable {
    static let fields: Set<String> = ["signature", "authorization"]

    public var signature: String
    public var authorization: KuraAuthorization

    public init(signature: String, authorization: KuraAuthorization) {
        self.signature = signature
        self.authorization = authorization
    }

    /// Signs `authorization` with the payer's key.
    public static func sign(_ authorization: KuraAuthorization, key: Ed25519.SecretKey) -> KuraPaymentProof {
        KuraPaymentProof(
            signature: Base64.encode(key.signature(for: authorization.signedBytes())), authorization: authorization)
    }

    /// The members, for `PaymentPayload.payload`.
    public var payload: [String: JSONValue] {
        // Strings and in-range integers only: encoding cannot fail.
        (try! JSONValue(encoding: self)).objectValue ?? [:]
    }

    /// Reads a `PaymentPayload.payload` strictly: exactly `signature` and `authorization`, and no unknown
    /// member in the authorization or its `extra` (the signature must cover everything that is read).
    public static func parse(_ payload: [String: JSONValue]) throws(X402Refusal) -> KuraPaymentProof {
        func refuse(_ detail: String) -> X402Refusal { X402Refusal(.invalidPayload, detail) }
        if let unknown = payload.keys.sorted().first(where: { !fields.contains($0) }) {
            throw refuse("payload has an unknown member \(WireText.quote(unknown))")
        }
        guard case .object(let authorization)? = payload["authorization"] else {
            throw refuse("payload.authorization must be an object")
        }
        if let unknown = authorization.keys.sorted().first(where: { !KuraAuthorization.fields.contains($0) }) {
            throw refuse("payload.authorization has an unknown member \(WireText.quote(unknown))")
        }
        let proof: KuraPaymentProof
        do { proof = try JSONValue.object(payload).decode(KuraPaymentProof.self) } catch {
            throw refuse("payload: \(error.reason)")
        }
        do {
            try proof.authorization.validate()
            if case .object(let extra)? = authorization["extra"] { _ = try EscrowTermsExtra.parse(extra) }
        } catch { throw refuse(error.detail) }
        guard Ed25519.signature(base64: proof.signature) != nil else {
            throw refuse("payload.signature must be standard base64 of 64 bytes")
        }
        return proof
    }
}
