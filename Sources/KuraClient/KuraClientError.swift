import KuraCore

/// A failed call, classified so a caller knows what to do next.
public struct KuraClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: String, Sendable {
        /// Worth retrying with the same Idempotency-Key: transport failures, 5xx, 429.
        case retryable
        /// The server understood and said no (401, 403, 404, 409, 422): retrying changes nothing.
        case refused
        /// The request itself is wrong (400, 413) or the answer could not be read.
        case invalid
    }

    /// The classification.
    public let kind: Kind
    /// The HTTP status, when there was one.
    public let status: Int?
    /// The problem `code` (e.g. `insufficient_funds`), or a client-side code.
    public let code: String
    /// One line for people.
    public let detail: String

    public var description: String { "\(code): \(detail)" }

    /// The same failure as a KuraError, for adapters that map codes to exit statuses. A code this version does
    /// not know (a newer server's) becomes `internal_error`, its own name kept at the head of the detail.
    public var kuraError: KuraError {
        guard let known = KuraError.Code(rawValue: code) else { return KuraError(.internalError, "\(code): \(detail)") }
        return KuraError(known, detail)
    }

    static func classify(status: Int) -> Kind {
        switch status {
        case 429, 500...599: .retryable
        case 400, 413, 415: .invalid
        default: .refused
        }
    }
}
