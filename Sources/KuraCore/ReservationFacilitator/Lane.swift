/// How a facilitator payment is funded. The API is the same for both.
public enum Lane: String, Sendable, Codable, CaseIterable, Hashable {
    /// Drawn on a prefunded mandate: balance, per-transaction cap, daily cap, allowed counterparties, expiry.
    case enterprise
    /// Drawn on the credit line of an over-collateralised position: value × LTV, single-payment cap.
    case cryptoFast = "crypto-fast"
}

/// Whole UTC days since the epoch: the period of a mandate's daily cap.
public enum UTCDay {
    /// Milliseconds in a day.
    public static let milliseconds: Int64 = 86_400_000

    /// The day `time` falls in (floor division, so times before 1970 fall in negative days).
    public static func of(_ time: Timestamp) -> Int64 {
        let (quotient, remainder) = time.milliseconds.quotientAndRemainder(dividingBy: milliseconds)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
