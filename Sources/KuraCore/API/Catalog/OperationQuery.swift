/// The query parameters of a read, typed. The router refuses a name not in ``names``.
public protocol OperationQuery: Sendable {
    /// The parameter names, in the order a client writes them.
    static var names: [String] { get }
    /// Parses the decoded parameters (each name at most once, all in ``names``); a bad value is
    /// `invalid_request`.
    init(query: [String: String]) throws(KuraError)
    /// The parameters to send, in order; absent ones are left out.
    var queryItems: [(name: String, value: String)] { get }
    /// Whether a name not in ``names`` is refused (`invalid_request`); true unless a query type says otherwise.
    static var refusesUnknownNames: Bool { get }
}

extension OperationQuery {
    public static var refusesUnknownNames: Bool { true }
}

/// The query of an operation that takes none.
public struct NoQuery: OperationQuery, Equatable {
    public init() {}
    public static var names: [String] { [] }
    public init(query: [String: String]) throws(KuraError) {}
    public var queryItems: [(name: String, value: String)] { [] }
}

/// The paging parameters every list shares: `cursor` (from the previous page) and `limit`.
public enum PageQuery {
    /// The page size when `limit` is not given.
    public static let defaultLimit = 50

    /// `limit`: 1 to 500, or ``defaultLimit`` when absent.
    public static func limit(_ query: [String: String]) throws(KuraError) -> Int {
        guard let text = query["limit"] else { return defaultLimit }
        guard let value = Int(text), (1...500).contains(value) else {
            throw KuraError(.invalidRequest, "limit must be an integer from 1 to 500")
        }
        return value
    }

    /// A closed set named by its raw value, e.g. `state`; anything else lists the choices.
    public static func value<Value: RawRepresentable & CaseIterable>(
        _ name: String, _ query: [String: String], as type: Value.Type
    ) throws(KuraError) -> Value? where Value.RawValue == String {
        guard let text = query[name] else { return nil }
        guard let value = Value(rawValue: text) else {
            let choices = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw KuraError(.invalidRequest, "\(name) must be one of \(choices)")
        }
        return value
    }
}

/// A non-negative integer as the public reads spell one: decimal digits without sign or leading zeros (`0`,
/// `7`, `41`), fitting in 64 bits. Anything else (`-1`, `+1`, `01`, `1.0`, ` 1`, `0x1`, too large) is refused,
/// so one number has one spelling.
public enum DecimalNumber {
    public static func parse(_ text: String, what: String) throws(KuraError) -> UInt64 {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count == 1 || digits.first != 0x30, let value = UInt64(text)
        else {
            throw KuraError(
                .invalidRequest,
                "\(what) must be a non-negative integer in decimal without sign or leading zeros, got '\(printable(String(text.prefix(40))))'"
            )
        }
        return value
    }

    /// The parameter `name` of `query` as a number, or nil when it is absent.
    public static func parse(_ name: String, in query: [String: String]) throws(KuraError) -> UInt64? {
        guard let text = query[name] else { return nil }
        return try parse(text, what: name)
    }

    /// The parameter `name` of `query` as a number; `invalid_request` when it is absent.
    public static func required(_ name: String, in query: [String: String]) throws(KuraError) -> UInt64 {
        guard let value = try parse(name, in: query) else {
            throw KuraError(.invalidRequest, "query parameter '\(name)' is required")
        }
        return value
    }

    /// Text as it may appear in a detail: bounded, and only printable ASCII.
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(200).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? $0 : "?" }))
    }
}

/// Percent-encoding of path segments and query values: everything but RFC 3986's unreserved characters.
public enum OperationQueryEncoding {
    /// `text` with every byte outside `A-Z a-z 0-9 - . _ ~` written as `%XX`.
    public static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// `?a=1&b=2`, or the empty string when there are no items.
    public static func queryString(_ items: [(name: String, value: String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { percentEncoded($0.name) + "=" + percentEncoded($0.value) }.joined(separator: "&")
    }
}
