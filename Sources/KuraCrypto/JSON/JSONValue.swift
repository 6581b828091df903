/// A JSON value as RFC 8259 defines it, with numbers held as IEEE 754 doubles (I-JSON, RFC 7493).
///
/// Object keys are Swift `String`s, which compare by Unicode canonical equivalence: two keys that
/// differ only in normalization (`"é"` vs `"e\u{301}"`) are the same key here, so the parser
/// rejects such a pair as a duplicate rather than silently dropping one of them.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

/// Why JSON could not be parsed, canonicalized, encoded or decoded.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line for people, e.g. `lone surrogate \udead at byte 6`. Never parse it.
    public let reason: String
    /// Byte offset in the input where parsing went wrong; 0 when there is no input position.
    public let offset: Int

    /// Creates an error with a one-line reason and the input offset it refers to.
    public init(reason: String, offset: Int = 0) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { reason }
}

extension JSONValue {
    /// The member named `key` if this is an object that has it, otherwise `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    /// The text if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// The number if this is a number.
    public var doubleValue: Double? {
        if case .number(let n) = self { n } else { nil }
    }

    /// The flag if this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { b } else { nil }
    }

    /// The elements if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { a } else { nil }
    }

    /// The members if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { o } else { nil }
    }

    /// The exact integer if this is an integral number with |n| ≤ 2^53−1, otherwise `nil`.
    ///
    /// Beyond 2^53−1 a double no longer identifies one integer, so the value is refused
    /// rather than guessed.
    public var int64Value: Int64? {
        guard case .number(let n) = self, n == n.rounded(.towardZero),
            abs(n) <= JSONValue.maxExactInteger
        else { return nil }
        return Int64(n)
    }

    /// The exact integer if this is an integral number with 0 ≤ n ≤ 2^53−1, otherwise `nil`.
    public var uint64Value: UInt64? {
        guard let i = int64Value, i >= 0 else { return nil }
        return UInt64(i)
    }

    /// 2^53−1: the largest integer every JSON parser reads back exactly.
    static let maxExactInteger: Double = 9_007_199_254_740_991
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    /// Like a `Dictionary` literal, a duplicate key is a programming error and traps.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(uniqueKeysWithValues: elements))
    }
}
