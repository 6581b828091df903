/// Money as integer atomic units of some asset. At most 2^53−1 so that every JSON parser reads it exactly.
public struct Amount: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The largest amount Kura accepts: 2^53 − 1.
    public static let maxUnits: UInt64 = (1 << 53) - 1
    /// Zero units.
    public static let zero = Amount(checked: 0)

    /// The number of atomic units.
    public let units: UInt64

    /// Validates `units` against the 2^53−1 ceiling.
    public init(units: UInt64) throws(KuraError) {
        guard units <= Amount.maxUnits else {
            throw KuraError(.invalidRequest, "amount \(units) is above the maximum 2^53-1")
        }
        self.units = units
    }

    /// For values known to be in range (sums of in-range parts are checked by callers).
    init(checked units: UInt64) {
        precondition(units <= Amount.maxUnits)
        self.units = units
    }

    /// The sum, or an error if it would pass the ceiling.
    public func adding(_ other: Amount) throws(KuraError) -> Amount {
        try Amount(units: units + other.units)
    }

    /// The difference, or an error if it would go below zero.
    public func subtracting(_ other: Amount) throws(KuraError) -> Amount {
        guard other.units <= units else {
            throw KuraError(.insufficientFunds, "cannot take \(other.units) from \(units)")
        }
        return Amount(checked: units - other.units)
    }

    /// `units × bps / 10000`, rounded down. Exact: the product is computed in 128 bits.
    public func basisPoints(_ bps: UInt64) -> Amount {
        let (high, low) = units.multipliedFullWidth(by: bps)
        let (quotient, _) = UInt64(10_000).dividingFullWidth((high, low))
        return Amount(checked: quotient)
    }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.units < rhs.units }
    public var description: String { String(units) }

    public init(from decoder: any Decoder) throws {
        let units = try decoder.singleValueContainer().decode(UInt64.self)
        do { try self.init(units: units) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(units)
    }
}

/// The name of an asset: `USDC`, a token mint, … Letters, digits and `._:-`, 1 to 64 characters.
public struct Asset: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The asset's name as written on the wire.
    public let name: String

    /// Validates the name.
    public init(_ name: String) throws(KuraError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 58
                || c == 45
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed else {
            throw KuraError(.invalidRequest, "asset must be 1-64 characters of letters, digits and ._:-")
        }
        self.name = name
    }

    public static func < (lhs: Asset, rhs: Asset) -> Bool { lhs.name < rhs.name }
    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(name) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
