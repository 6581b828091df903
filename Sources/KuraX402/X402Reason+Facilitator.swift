extension X402Reason {
    /// The authorization's nonce was already settled (by another authorization with that nonce, or this one
    /// without the payment identifier that makes a repeat legitimate). Named like the scheme's other codes.
    public static func kuraNonceUsed(_ scheme: KuraScheme) -> X402Reason {
        X402Reason(rawValue: "invalid_\(scheme.rawValue)_kura_payload_nonce_used")
    }

    /// The payment-identifier extension's `id` was already used by this payer with another payload: the
    /// extension's "same id, different payload" refusal (409 at a resource server).
    public static let paymentIdentifierConflict = X402Reason(rawValue: "payment_identifier_conflict")
}
