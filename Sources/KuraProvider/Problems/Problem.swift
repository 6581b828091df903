import Hummingbird
import KuraCore
import KuraCrypto

/// How an error is answered over HTTP: an RFC 9457 `application/problem+json` body
/// `{"type", "title", "status", "detail", "code"}`.
///
/// This is the one place where ``KuraError/Code`` meets an HTTP status.
public enum Problem {
    /// The prefix of every problem `type`; the code follows, e.g. `https://kura.dev/problems/insufficient_funds`.
    public static let typeBase = "https://kura.dev/problems/"

    /// The media type of every error answer.
    public static let mediaType = "application/problem+json"

    /// The HTTP status for an error code: its category's. Exhaustive, with no `default:`: a new category must
    /// choose its status here, and a new code chooses its category where it is declared (``KuraError/Code``).
    public static func status(for code: KuraError.Code) -> HTTPResponse.Status {
        switch code.category {
        case .invalidInput: .badRequest
        case .tooLarge: .contentTooLarge
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict, .stateRefused, .duplicate: .conflict
        case .refused, .termsRefused: .unprocessableContent
        case .gone: .gone
        case .rateLimited: .tooManyRequests
        case .unavailable, .storageUnavailable, .railUnavailable: .serviceUnavailable
        case .badData, .internalFailure: .internalServerError
        }
    }

    /// A short, fixed summary of the problem type (RFC 9457 `title`). Exhaustive: a new code needs a title.
    public static func title(for code: KuraError.Code) -> String {
        switch code {
        case .invalidRequest: "Invalid request"
        case .unauthenticated: "Unauthenticated"
        case .forbidden: "Forbidden"
        case .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        case .invalidTransition: "Invalid transition"
        case .idempotencyConflict: "Idempotency conflict"
        case .versionConflict: "Version conflict"
        case .payloadTooLarge: "Payload too large"
        case .insufficientFunds: "Insufficient funds"
        case .storageFailure: "Storage failure"
        case .storageUnavailable: "Storage unavailable"
        case .notOnPanel: "Not on the panel"
        case .alreadyRuled: "Already ruled"
        case .deadlinePassed: "Deadline passed"
        case .disputeNotOpen: "Dispute not open"
        case .invalidSignature: "Invalid signature"
        case .voucherInvalid: "Invalid voucher"
        case .voucherStale: "Stale voucher"
        case .voucherOverCapacity: "Voucher over capacity"
        case .channelClosed: "Channel closed"
        case .channelTermsRefused: "Channel terms refused"
        case .publicKeyTaken: "Public key taken"
        case .duplicatePayment: "Duplicate payment"
        case .rateLimited: "Too many requests"
        case .overloaded: "Overloaded"
        case .notReady: "Not ready"
        case .partyInactive: "Party inactive"
        case .counterpartyNotAllowed: "Counterparty not allowed"
        case .reservationNotFound: "Reservation not found"
        case .laneMismatch: "Lane mismatch"
        case .envelopeMismatch: "Envelope mismatch"
        case .mandateInactive: "Mandate inactive"
        case .positionFrozen: "Position frozen"
        case .positionInactive: "Position inactive"
        case .capExceeded: "Cap exceeded"
        case .mandateExhausted: "Mandate exhausted"
        case .creditExceeded: "Credit exceeded"
        case .priceUnavailable: "Price unavailable"
        case .unknownKey: "Unknown key"
        case .reservationExpired: "Reservation expired"
        case .reservationVoided: "Reservation voided"
        case .envelopeInvalid: "Envelope invalid"
        case .transferRefused: "Transfer refused"
        case .transferUsed: "Transfer already used"
        case .railUnavailable: "Rail unavailable"
        case .checkpointPending: "Checkpoint pending"
        case .unknownEventType: "Unknown event type"
        // Titles these codes have had since before they had their own (their status is 500 either way).
        case .unsupportedDatabase, .verificationFailed, .chainBroken, .internalError, .unavailable, .invalidResponse:
            "Internal error"
        }
    }

    /// The problem document for `error`. A 5xx keeps its code but not its detail, which may name files or
    /// internals: the detail goes to the server log instead (`not_ready`, `checkpoint_pending` and `overloaded` keep
    /// their own, written to be shown).
    /// Inside a request it also carries the request's ID as `requestId`, the value of `X-Request-ID`, so a
    /// caller can quote it to the operator, who finds the request's log line by it.
    public static func body(for error: KuraError, status: HTTPResponse.Status? = nil) -> JSONValue {
        let status = status ?? self.status(for: error.code)
        let detail =
            status.code >= 500 && ![.checkpointPending, .notReady, .overloaded].contains(error.code)
            ? "the server could not complete the request; the operator's log has the details" : error.detail
        var members: [String: JSONValue] = [
            "type": .string(typeBase + error.code.rawValue),
            "title": .string(title(for: error.code)),
            "status": .number(Double(status.code)),
            "detail": .string(detail),
            "code": .string(error.code.rawValue),
        ]
        if let trace = RequestTrace.current {
            trace.answered(code: error.code)
            members["requestId"] = .string(trace.id)
        }
        return .object(members)
    }

    /// The full answer for `error`: status, problem body, and the headers the status calls for
    /// (`WWW-Authenticate` with 401, `Allow` with 405, `Retry-After` with 503 `overloaded`, `checkpoint_pending`
    /// and `storage_unavailable`).
    package static func response(for error: KuraError, allow: [String] = []) -> Response {
        var headers: HTTPFields = [.contentType: mediaType]
        let status = status(for: error.code)
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"kura\"" }
        if status == .methodNotAllowed, !allow.isEmpty { headers[.allow] = allow.joined(separator: ", ") }
        // All momentary: the reader queue drains, the checkpointer issues the next checkpoint, the database comes
        // back after a restart or a fail-over (nothing was written, so a retry soon may succeed).
        if error.code == .overloaded || error.code == .checkpointPending || error.code == .storageUnavailable {
            headers[.retryAfter] = "1"
        }
        // A problem body is strings and small integers: it always canonicalizes.
        let bytes = (try? body(for: error).canonicalBytes()) ?? Array("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
