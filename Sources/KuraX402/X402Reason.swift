/// A machine reason for refusing a payment: the `invalidReason` of a VerifyResponse and the `errorReason`
/// of a SettleResponse.
///
/// The standard codes are those of the x402 v2 specification, section 9 "Error Handling"
/// (coinbase/x402, `specs/x402-specification-v2.md`). Kura's own schemes add codes named the way the
/// specification names the network-specific ones (`invalid_exact_evm_payload_signature`,
/// `invalid_exact_svm_payload_recipient_mismatch`): `invalid_<scheme>_kura_payload_<what>`.
public struct X402Reason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // MARK: Standard (x402 v2 specification, section 9)

    /// The payer does not have enough funds to complete the payment.
    public static let insufficientFunds = X402Reason(rawValue: "insufficient_funds")
    /// The network is not supported.
    public static let invalidNetwork = X402Reason(rawValue: "invalid_network")
    /// The payment payload is malformed or contains invalid data.
    public static let invalidPayload = X402Reason(rawValue: "invalid_payload")
    /// The payment requirements are invalid or malformed.
    public static let invalidPaymentRequirements = X402Reason(rawValue: "invalid_payment_requirements")
    /// The scheme is not valid here.
    public static let invalidScheme = X402Reason(rawValue: "invalid_scheme")
    /// The scheme is not supported by the facilitator.
    public static let unsupportedScheme = X402Reason(rawValue: "unsupported_scheme")
    /// The protocol version is not supported.
    public static let invalidX402Version = X402Reason(rawValue: "invalid_x402_version")
    /// The settlement failed or was rejected on its rail.
    public static let invalidTransactionState = X402Reason(rawValue: "invalid_transaction_state")
    /// An unexpected error during verification.
    public static let unexpectedVerifyError = X402Reason(rawValue: "unexpected_verify_error")
    /// An unexpected error during settlement.
    public static let unexpectedSettleError = X402Reason(rawValue: "unexpected_settle_error")

    // MARK: Kura schemes (`exact` and `escrow` on a `kura:` network)

    /// The payer's Ed25519 signature does not verify over the authorization.
    public static func kuraSignature(_ scheme: KuraScheme) -> X402Reason { kura(scheme, "signature") }
    /// `now` is before `validAfter`.
    public static func kuraValidAfter(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "authorization_valid_after")
    }
    /// `now` is at or after `validBefore`.
    public static func kuraValidBefore(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "authorization_valid_before")
    }
    /// The authorized amount is not the required amount.
    public static func kuraValueMismatch(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "authorization_value_mismatch")
    }
    /// The authorization pays someone other than `payTo`.
    public static func kuraRecipientMismatch(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "recipient_mismatch")
    }
    /// The authorization is for another asset.
    public static func kuraAssetMismatch(_ scheme: KuraScheme) -> X402Reason { kura(scheme, "asset_mismatch") }
    /// The authorization is for another resource.
    public static func kuraResourceMismatch(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "resource_mismatch")
    }
    /// The escrow terms signed are not the terms required.
    public static func kuraTermsMismatch(_ scheme: KuraScheme) -> X402Reason { kura(scheme, "terms_mismatch") }
    /// The validity window is empty, or longer than `maxTimeoutSeconds` allows.
    public static func kuraValidityWindow(_ scheme: KuraScheme) -> X402Reason {
        kura(scheme, "authorization_window")
    }

    private static func kura(_ scheme: KuraScheme, _ what: String) -> X402Reason {
        X402Reason(rawValue: "invalid_\(scheme.rawValue)_kura_payload_\(what)")
    }
}
