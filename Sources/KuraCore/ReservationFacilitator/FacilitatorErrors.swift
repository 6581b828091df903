extension KuraError.Code {
    /// The agent or the counterparty of a verify is not an active party.
    public static let partyInactive = KuraError.Code(rawValue: "party_inactive")
    /// The lane and the funding named do not fit (a mandate on crypto-fast, a position on enterprise), or a
    /// settle names a lane other than the reservation's.
    public static let laneMismatch = KuraError.Code(rawValue: "lane_mismatch")
    /// A per-transaction, daily or single-payment cap would be passed.
    public static let capExceeded = KuraError.Code(rawValue: "cap_exceeded")
    /// The mandate's remaining balance is less than the amount.
    public static let mandateExhausted = KuraError.Code(rawValue: "mandate_exhausted")
    /// The mandate is revoked or past its expiry.
    public static let mandateInactive = KuraError.Code(rawValue: "mandate_inactive")
    /// The counterparty is not among the mandate's allowed counterparties.
    public static let counterpartyNotAllowed = KuraError.Code(rawValue: "counterparty_not_allowed")
    /// The position's credit (collateral value × LTV, less debt and reservations) is less than the amount.
    public static let creditExceeded = KuraError.Code(rawValue: "credit_exceeded")
    /// The position is frozen: its health factor fell below the minimum.
    public static let positionFrozen = KuraError.Code(rawValue: "position_frozen")
    /// The position is liquidated or closed.
    public static let positionInactive = KuraError.Code(rawValue: "position_inactive")
    /// No operator price is posted for the position's collateral in its asset.
    public static let priceUnavailable = KuraError.Code(rawValue: "price_unavailable")
    /// No reservation has that ID.
    public static let reservationNotFound = KuraError.Code(rawValue: "reservation_not_found")
    /// The reservation's `expiresAt` has passed.
    public static let reservationExpired = KuraError.Code(rawValue: "reservation_expired")
    /// The reservation was voided (expired and swept, or its position liquidated); its hold is released.
    public static let reservationVoided = KuraError.Code(rawValue: "reservation_voided")
    /// The envelope is not a well-formed EdDSA JWS, or its signature does not verify.
    public static let envelopeInvalid = KuraError.Code(rawValue: "envelope_invalid")
    /// The envelope's `kid` names no key in the service's verifier set.
    public static let unknownKey = KuraError.Code(rawValue: "unknown_key")
    /// The envelope is validly signed but for another reservation, or its decision differs from the stored one.
    public static let envelopeMismatch = KuraError.Code(rawValue: "envelope_mismatch")
}
