/// Why an x402 header or message was refused: what was wrong with it, a sentence for people, and the
/// standard reason code to answer with.
///
/// Every malformed input ends here, never in a crash: bad base64, bad JSON, a wrong version, a missing or
/// ill-typed field, an amount that is not a canonical decimal string, an out-of-range time, an over-long header.
public struct X402Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; tests and callers branch on this, never on `detail`.
    public enum Kind: String, Sendable, Equatable {
        /// A required header is absent.
        case missingHeader = "missing_header"
        /// The header is longer than ``X402Limits/maxHeaderBytes``.
        case tooLong = "too_long"
        /// The header is not standard padded base64.
        case notBase64 = "not_base64"
        /// The decoded bytes are not one strict JSON object.
        case notJSON = "not_json"
        /// `x402Version` is absent or not 2.
        case unsupportedVersion = "unsupported_version"
        /// A field is missing, of the wrong type, or has a value outside its rules.
        case invalidField = "invalid_field"
    }

    /// What kind of problem it is.
    public let kind: Kind
    /// The standard code to answer with (``X402Reason/invalidPayload`` for a payment,
    /// ``X402Reason/invalidPaymentRequirements`` for requirements, ``X402Reason/invalidX402Version``).
    public let reason: X402Reason
    /// One line for people; never parse it.
    public let detail: String

    /// Creates an error.
    public init(_ kind: Kind, reason: X402Reason, _ detail: String) {
        self.kind = kind
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue) (\(kind.rawValue)): \(detail)" }
}

/// Sizes Kura accepts on the wire.
public enum X402Limits {
    /// The longest header value read (base64 text). Longer values are refused before decoding.
    public static let maxHeaderBytes = 16_384
    /// The largest amount: 2^53 − 1, the largest integer every JSON parser reads exactly.
    public static let maxAmount: UInt64 = (1 << 53) - 1
    /// The largest epoch second whose millisecond value is still at most 2^53 − 1.
    public static let maxEpochSeconds: UInt64 = ((1 << 53) - 1) / 1000
    /// The longest plain text field (asset, party, network, resource URL, receipt).
    public static let maxTextBytes = 2048
}

/// Reads the decimal integers of the x402 wire: ASCII digits only, no sign, no leading zero (except `0`
/// itself), no spaces, at most `maximum`. One number has one spelling, so a signed text cannot be re-spelled.
public enum CanonicalDecimal {
    /// The value of `text`, or nil when it is not the canonical decimal spelling of an integer ≤ `maximum`.
    public static func parse(_ text: String, maximum: UInt64) -> UInt64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard digits.count == 1 || digits[0] != 0x30 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value <= maximum ? value : nil
    }
}

/// Plain header and field text: printable ASCII without spaces, 1 to ``X402Limits/maxTextBytes`` bytes.
enum WireText {
    static func isToken(_ text: String, max: Int = X402Limits.maxTextBytes) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= max && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Text for people (descriptions, error messages): no control characters, at most `max` bytes.
    static func isPlain(_ text: String, max: Int = X402Limits.maxTextBytes) -> Bool {
        text.utf8.count <= max && text.unicodeScalars.allSatisfy { !($0.value < 0x20 || $0.value == 0x7F) }
    }

    /// At most 64 characters of `text`, for quoting bad input in an error without echoing a whole header.
    static func quote(_ text: String) -> String {
        let head = text.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }
        return "'" + head.joined() + (text.unicodeScalars.count > 64 ? "…'" : "'")
    }
}
