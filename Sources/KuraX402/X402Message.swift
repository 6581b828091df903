import KuraCrypto

/// A message of x402 v2 that Kura reads from the wire: decoded strictly, then checked by ``validate()``.
///
/// Unknown members are ignored (as the reference SDKs do), so a later minor addition to the
/// specification does not break Kura; every member Kura knows must have its documented type and rules.
public protocol X402Message: Codable, Sendable, Equatable {
    /// The code to refuse a malformed message of this type with.
    static var malformedReason: X402Reason { get }
    /// Where the message carries `x402Version` (the top level, and nested messages): each must be 2, and is
    /// checked before anything else, so a wrong version is always `invalid_x402_version`.
    static var versionPaths: [[String]] { get }
    /// Checks the value rules that types alone do not express; throws a sentence naming the first broken one.
    func validate() throws(X402FieldProblem)
}

/// One broken value rule, named for people (e.g. `accepts[0].network 'eth' is not a CAIP-2 network ID`).
public struct X402FieldProblem: Error, Sendable, Equatable {
    /// The sentence.
    public let detail: String
    /// Creates a problem.
    public init(_ detail: String) { self.detail = detail }
}

/// The field rules shared by the message types.
enum Rules {
    /// The only protocol version Kura speaks.
    static let version = 2

    static func version(_ value: Int, _ path: String) throws(X402FieldProblem) {
        guard value == version else { throw X402FieldProblem("\(path) must be \(version), got \(value)") }
    }

    static func token(_ text: String, _ path: String, max: Int = X402Limits.maxTextBytes) throws(X402FieldProblem) {
        guard WireText.isToken(text, max: max) else {
            throw X402FieldProblem(
                "\(path) \(WireText.quote(text)) must be 1 to \(max) printable ASCII characters without spaces")
        }
    }

    static func plain(_ text: String?, _ path: String) throws(X402FieldProblem) {
        guard let text else { return }
        guard WireText.isPlain(text) else {
            throw X402FieldProblem(
                "\(path) must be at most \(X402Limits.maxTextBytes) bytes without control characters")
        }
    }

    static func network(_ text: String, _ path: String) throws(X402FieldProblem) {
        guard CAIP2.isValid(text) else {
            throw X402FieldProblem("\(path) \(WireText.quote(text)) is not a CAIP-2 network ID (namespace:reference)")
        }
    }

    /// Scheme names are lowercase identifiers (`exact`, `upto`, `batch-settlement`).
    static func scheme(_ text: String, _ path: String) throws(X402FieldProblem) {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 64,
            bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F })
        else { throw X402FieldProblem("\(path) \(WireText.quote(text)) is not a scheme name ([a-z0-9_-]{1,64})") }
    }

    static func seconds(_ value: UInt64, _ path: String) throws(X402FieldProblem) {
        guard value <= X402Limits.maxEpochSeconds else {
            throw X402FieldProblem("\(path) \(value) is above \(X402Limits.maxEpochSeconds)")
        }
    }
}

/// CAIP-2 chain IDs (`namespace:reference`): namespace `[-a-z0-9]{3,8}`, reference `[-_a-zA-Z0-9]{1,32}`
/// (ChainAgnostic CAIP-2). x402 v2 names every network this way (`eip155:8453`, `solana:5eykt…`).
public enum CAIP2 {
    /// Whether `text` is a CAIP-2 chain ID.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let namespace = parts[0]
        let reference = parts[1]
        func lowerDigitDash(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D }
        func referenceCharacter(_ c: UInt8) -> Bool { lowerDigitDash(c) || (c >= 0x41 && c <= 0x5A) || c == 0x5F }
        return (3...8).contains(namespace.count) && namespace.allSatisfy(lowerDigitDash)
            && (1...32).contains(reference.count) && reference.allSatisfy(referenceCharacter)
    }
}
