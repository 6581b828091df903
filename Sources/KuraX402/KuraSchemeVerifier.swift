import KuraCrypto

/// A payment refused by a scheme's checks: the standard reason code and a sentence for people.
public struct X402Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: X402Reason
    public let detail: String

    public init(_ reason: X402Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

/// A Kura-scheme payment whose signature, terms and time window all check out.
public struct VerifiedKuraPayment: Sendable, Equatable {
    public var scheme: KuraScheme
    public var authorization: KuraAuthorization
    /// The escrow terms, for scheme `escrow`.
    public var escrowTerms: EscrowTermsExtra?
    /// The authorization's signed bytes (``KuraAuthorization/signedBytes()``), over which the signature was checked.
    public var signedBytes: [UInt8]
}

extension KuraScheme {
    /// Builds the client's `PaymentPayload` for `requirements`: signs an authorization for `resource` by `payer`,
    /// valid from `validAfter` until `validBefore`, with the caller's fresh `nonce` (pure: no clock, no randomness).
    public static func pay(
        _ requirements: PaymentRequirements, resource: ResourceInfo, payer: String, key: Ed25519.SecretKey,
        nonce: [UInt8], validAfter: EpochSeconds, validBefore: EpochSeconds,
        extensions: [String: JSONValue]? = nil
    ) throws(X402Refusal) -> PaymentPayload {
        guard let scheme = KuraScheme(rawValue: requirements.scheme) else {
            throw X402Refusal(.unsupportedScheme, "'\(requirements.scheme)' is not a Kura scheme")
        }
        let terms: EscrowTermsExtra?
        do { terms = scheme == .escrow ? try EscrowTermsExtra.parse(requirements.extra) : nil } catch {
            throw X402Refusal(.invalidPaymentRequirements, error.detail)
        }
        guard nonce.count == 32 else { throw X402Refusal(.invalidPayload, "the nonce must be 32 bytes") }
        let authorization = KuraAuthorization(
            payer: payer, payTo: requirements.payTo, amount: requirements.amount, asset: requirements.asset,
            resource: resource.url, network: requirements.network, nonce: Hex.encode(nonce),
            validAfter: validAfter, validBefore: validBefore, extra: terms)
        let proof = KuraPaymentProof.sign(authorization, key: key)
        return PaymentPayload(
            resource: resource, accepted: requirements, payload: proof.payload, extensions: extensions)
    }

    /// Checks a payment against what the resource server requires, at `nowMilliseconds`, with the payer's key
    /// (the caller looks it up from `KuraPaymentProof.parse(payload.payload).authorization.payer`).
    ///
    /// In order: scheme, network, the `accepted` requirements, the proof's form, the signature (so any altered
    /// field is a signature failure), then each term against the requirements, then the time window.
    /// Whether the nonce was already used, and the payer's balance, are the facilitator's to check: they need state.
    public static func verify(
        _ payment: PaymentPayload, against requirements: PaymentRequirements, on network: KuraNetwork,
        payerKey: Ed25519.PublicKey, nowMilliseconds now: Int64
    ) throws(X402Refusal) -> VerifiedKuraPayment {
        try verify(payment, against: requirements, on: network, payerKey: payerKey, nowMilliseconds: now, proof: nil)
    }

    /// ``verify(_:against:on:payerKey:nowMilliseconds:)`` with the payload's proof parsed already, by a facilitator
    /// that parsed it to find the payer's key. `proof` must be `KuraPaymentProof.parse(payment.payload)`: the
    /// checks of the proof's form are not made again, so this stays inside the package.
    package static func verify(
        _ payment: PaymentPayload, against requirements: PaymentRequirements, on network: KuraNetwork,
        payerKey: Ed25519.PublicKey, nowMilliseconds now: Int64, proof parsed: KuraPaymentProof?
    ) throws(X402Refusal) -> VerifiedKuraPayment {
        assert(parsed == nil || parsed == (try? KuraPaymentProof.parse(payment.payload)), "a proof of another payload")
        guard let scheme = KuraScheme(rawValue: requirements.scheme) else {
            throw X402Refusal(.unsupportedScheme, "'\(requirements.scheme)' is not a Kura scheme")
        }
        guard requirements.network == network.id else {
            throw X402Refusal(.invalidNetwork, "this facilitator settles on \(network.id), not \(requirements.network)")
        }
        let accepted = payment.accepted
        guard accepted.scheme == requirements.scheme else {
            throw X402Refusal(.invalidScheme, "the payment is for scheme '\(accepted.scheme)'")
        }
        guard accepted.network == requirements.network else {
            throw X402Refusal(.invalidNetwork, "the payment is for network '\(accepted.network)'")
        }
        guard accepted.isSameOffer(as: requirements) else {
            throw X402Refusal(.invalidPaymentRequirements, "the payment accepted other requirements than these")
        }
        let required: EscrowTermsExtra?
        do { required = scheme == .escrow ? try EscrowTermsExtra.parse(requirements.extra) : nil } catch {
            throw X402Refusal(.invalidPaymentRequirements, error.detail)
        }
        let proof: KuraPaymentProof
        if let parsed { proof = parsed } else { proof = try KuraPaymentProof.parse(payment.payload) }
        let authorization = proof.authorization
        let signature = Base64.decode(proof.signature) ?? []
        let signedBytes = authorization.signedBytes()
        guard payerKey.isValidSignature(signature, for: signedBytes) else {
            throw X402Refusal(.kuraSignature(scheme), "the signature is not the payer's over this authorization")
        }
        try match(authorization, requirements, required, scheme, payment.resource)
        guard authorization.validAfter < authorization.validBefore else {
            throw X402Refusal(.kuraValidityWindow(scheme), "validBefore must be after validAfter")
        }
        guard now >= authorization.validAfter.milliseconds else {
            throw X402Refusal(
                .kuraValidAfter(scheme), "the authorization is valid only from \(authorization.validAfter)")
        }
        guard now < authorization.validBefore.milliseconds else {
            throw X402Refusal(.kuraValidBefore(scheme), "the authorization expired at \(authorization.validBefore)")
        }
        // An authorization may not outlive the requirement's timeout: it cannot be held back and settled later.
        guard authorization.validBefore.seconds <= UInt64(now / 1000) + requirements.maxTimeoutSeconds else {
            throw X402Refusal(
                .kuraValidityWindow(scheme),
                "validBefore must be at most maxTimeoutSeconds (\(requirements.maxTimeoutSeconds)) from now")
        }
        return VerifiedKuraPayment(
            scheme: scheme, authorization: authorization, escrowTerms: required, signedBytes: signedBytes)
    }

    private static func match(
        _ authorization: KuraAuthorization, _ requirements: PaymentRequirements, _ terms: EscrowTermsExtra?,
        _ scheme: KuraScheme, _ resource: ResourceInfo?
    ) throws(X402Refusal) {
        guard authorization.network == requirements.network else {
            throw X402Refusal(.invalidNetwork, "the authorization is for network \(authorization.network)")
        }
        guard authorization.payTo == requirements.payTo else {
            throw X402Refusal(.kuraRecipientMismatch(scheme), "the authorization pays \(authorization.payTo)")
        }
        guard authorization.amount == requirements.amount else {
            throw X402Refusal(
                .kuraValueMismatch(scheme),
                "the authorization is for \(authorization.amount), the requirement \(requirements.amount)")
        }
        guard authorization.asset == requirements.asset else {
            throw X402Refusal(.kuraAssetMismatch(scheme), "the authorization is in \(authorization.asset)")
        }
        if let resource, resource.url != authorization.resource {
            throw X402Refusal(.kuraResourceMismatch(scheme), "the authorization is for another resource")
        }
        guard authorization.extra == terms else {
            throw X402Refusal(.kuraTermsMismatch(scheme), "the signed escrow terms are not the required ones")
        }
    }
}

extension PaymentRequirements {
    /// Equal in every member, where an empty `extra` is the same as none: the official Python SDK writes
    /// `"extra": {}` for a requirement that had no `extra`, and its clients copy that into `accepted`.
    public func isSameOffer(as other: PaymentRequirements) -> Bool {
        var left = self
        var right = other
        if left.extra?.isEmpty == true { left.extra = nil }
        if right.extra?.isEmpty == true { right.extra = nil }
        return left == right
    }
}
