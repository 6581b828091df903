import HTTPTypes
import KuraCore
import KuraCrypto
import Synchronization

/// What the request log, the metrics and the problem documents share about one request: its ID, and what
/// became of it (the problem code, a facilitator's refusal reason).
///
/// KuraHTTP's `OperationsMiddleware` makes one per request and binds it to ``current`` for the handlers below it, so
/// that ``Problem`` can put the ID in every problem document without each handler passing it along.
package final class RequestTrace: Sendable {
    /// The trace of the request being handled on this task, if any.
    @TaskLocal package static var current: RequestTrace?

    /// `X-Request-ID`: sent back on every answer; taken from the request when it sends a usable one.
    package static let header = HTTPField.Name("X-Request-ID")!

    /// The request's ID.
    package let id: String
    private let outcome = Mutex<(code: String?, reason: String?)>((nil, nil))

    package init(id: String) { self.id = id }

    /// The ID a request asked for (1-128 of `A-Z a-z 0-9 . _ : -`, so it is safe in any log line and
    /// header), or a new one: `req_`, 16 hex digits random per process, 16 of a counter.
    package static func id(requested: String?) -> String {
        if let requested, (1...128).contains(requested.utf8.count),
            requested.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte == 0x2D
            })
        {
            return requested
        }
        return newID(counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    /// `req_`, the process's prefix, then `number` in 16 hex digits, laid out in one buffer (its digits through
    /// `String(_:radix:)`, zero padding and two concatenations were 2.2 % of the request threads, profiled).
    package static func newID(_ number: UInt64) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(36)
        text += "req_".utf8
        withUnsafeBytes(of: processPrefix.bigEndian) { Hex.append($0, to: &text) }
        withUnsafeBytes(of: number.bigEndian) { Hex.append($0, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Random per process, so IDs from two servers (or restarts) never collide; a counter after it, so making
    /// one costs no system call.
    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    /// The problem code the request was answered with, if it was refused.
    package var code: String? { outcome.withLock { $0.code } }
    /// A refusal reason answered inside a 200 (the x402 facilitator's `invalidReason`/`errorReason`).
    package var reason: String? { outcome.withLock { $0.reason } }

    /// Records the code of the problem document being answered.
    package func answered(code: KuraError.Code) { outcome.withLock { $0.code = code.rawValue } }

    /// Records a refusal answered with 200, or `nil` for a success.
    package func refused(reason: String?) { outcome.withLock { $0.reason = reason } }
}
