/// An amount in atomic units, written on the x402 wire as a decimal string (`"10000"`), as the
/// specification requires of `amount` and as the seed's `X-Payment-Amount` header carries it.
///
/// Only the canonical spelling is read (see ``CanonicalDecimal``), and never more than 2^53 − 1.
public struct X402Amount: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The number of atomic units.
    public let units: UInt64

    /// Wraps `units`; nil above 2^53 − 1.
    public init?(units: UInt64) {
        guard units <= X402Limits.maxAmount else { return nil }
        self.units = units
    }

    /// Reads the decimal text; nil unless canonical and at most 2^53 − 1.
    public init?(text: String) {
        guard let units = CanonicalDecimal.parse(text, maximum: X402Limits.maxAmount) else { return nil }
        self.units = units
    }

    /// The decimal text.
    public var description: String { String(units) }

    public static func < (lhs: X402Amount, rhs: X402Amount) -> Bool { lhs.units < rhs.units }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let amount = X402Amount(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "amount \(WireText.quote(text)) is not a decimal integer string from 0 to 2^53-1 without sign or leading zeros"
                ))
        }
        self = amount
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A Unix time in whole seconds, written as a decimal string as x402 authorizations write `validAfter`
/// and `validBefore`. At most ``X402Limits/maxEpochSeconds``, so its milliseconds fit Kura's timestamps.
public struct EpochSeconds: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: UInt64

    /// Wraps `seconds`; nil when its milliseconds would pass 2^53 − 1.
    public init?(_ seconds: UInt64) {
        guard seconds <= X402Limits.maxEpochSeconds else { return nil }
        self.seconds = seconds
    }

    /// Reads canonical decimal text.
    public init?(text: String) {
        guard let seconds = CanonicalDecimal.parse(text, maximum: X402Limits.maxEpochSeconds) else { return nil }
        self.seconds = seconds
    }

    /// The same instant in epoch milliseconds (Kura's internal time).
    public var milliseconds: Int64 { Int64(seconds) * 1000 }

    public var description: String { String(seconds) }

    public static func < (lhs: EpochSeconds, rhs: EpochSeconds) -> Bool { lhs.seconds < rhs.seconds }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = EpochSeconds(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "time \(WireText.quote(text)) is not a decimal string of epoch seconds from 0 to \(X402Limits.maxEpochSeconds)"
                ))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
