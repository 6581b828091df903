/// The one error type of Kura: a stable machine code and a sentence for people.
/// Adapters map the code once: to an HTTP status in KuraHTTP, to an exit code in the CLI.
public struct KuraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable snake_case code, the `code` member of problem+json.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidRequest = Code(rawValue: "invalid_request")
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        public static let forbidden = Code(rawValue: "forbidden")
        public static let notFound = Code(rawValue: "not_found")
        public static let invalidTransition = Code(rawValue: "invalid_transition")
        public static let idempotencyConflict = Code(rawValue: "idempotency_conflict")
        public static let versionConflict = Code(rawValue: "version_conflict")
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        public static let insufficientFunds = Code(rawValue: "insufficient_funds")
        public static let storageFailure = Code(rawValue: "storage_failure")
        /// The database cannot be reached or is not serving (PostgreSQL stopped, restarting, too many
        /// connections). Nothing was written; the same request may be retried later.
        public static let storageUnavailable = Code(rawValue: "storage_unavailable")
        public static let unsupportedDatabase = Code(rawValue: "unsupported_database")
        public static let verificationFailed = Code(rawValue: "verification_failed")
        public static let chainBroken = Code(rawValue: "chain_broken")
        public static let internalError = Code(rawValue: "internal_error")
    }

    /// The machine code.
    public let code: Code
    /// One line for people; never parsed.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
