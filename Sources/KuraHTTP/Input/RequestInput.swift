import Hummingbird
import KuraCore
import KuraCrypto
import KuraProvider

/// Reading what a request carries, strictly: a bounded body, JSON, percent-encoded path segments and
/// query strings. Everything malformed is `invalid_request` (or `payload_too_large`), never a crash.
enum RequestInput {
    /// Collects the body, refusing more than `limit` bytes. A declared `Content-Length` over the limit is
    /// refused before anything is read; otherwise reading stops at the first byte past the limit.
    static func body(of request: Request, limit: Int) async throws(KuraError) -> [UInt8] {
        let tooLarge = KuraError(.payloadTooLarge, "the request body is larger than \(limit) bytes")
        if let declared = request.headers.value(of: .contentLength) {
            // A malformed Content-Length never reaches us (the HTTP parser refuses it); be safe anyway.
            guard let length = Int(declared), length >= 0 else {
                throw KuraError(.invalidRequest, "Content-Length is not a number")
            }
            guard length <= limit else { throw tooLarge }
            if length == 0 { return [] }
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            throw KuraError(.invalidRequest, "the request body could not be read")
        }
    }

    /// The body as JSON. An empty body is `{}`, so `confirm`, `cancel` and `refund` need none.
    static func json(_ body: [UInt8]) throws(KuraError) -> JSONValue {
        if body.isEmpty { return .object([:]) }
        do { return try JSONValue.parse(body) } catch {
            throw KuraError(.invalidRequest, "the body is not valid JSON: \(error.reason)")
        }
    }

    /// Decodes `%XX` escapes (and, in a query, `+` as a space), then checks the bytes are UTF-8.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool = false, what: @autoclosure () -> String)
        throws(KuraError) -> String
    {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw KuraError(.invalidRequest, "\(what()) has an invalid percent-encoding")
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw KuraError(.invalidRequest, "\(what()) is not UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Parses a raw query string. Unknown names, repeated names and bad encodings are refused.
    static func query(_ raw: String?, allowed: Set<String>) throws(KuraError) -> [String: String] {
        guard let raw, !raw.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try percentDecoded(parts[0], plusIsSpace: true, what: "a query parameter name")
            let value =
                parts.count > 1
                ? try percentDecoded(parts[1], plusIsSpace: true, what: "query parameter '\(name.prefix(40))'") : ""
            guard allowed.contains(name) else {
                let known =
                    allowed.isEmpty ? "this route takes none" : "known: \(allowed.sorted().joined(separator: ", "))"
                throw KuraError(
                    .invalidRequest, "unknown query parameter '\(printable(String(name.prefix(40))))' (\(known))")
            }
            guard result[name] == nil else { throw KuraError(.invalidRequest, "query parameter '\(name)' is repeated") }
            result[name] = value
        }
        return result
    }

    /// A path as it may appear in a detail: bounded, and only printable ASCII.
    static func printable(_ path: String) -> String {
        String(
            String.UnicodeScalarView(
                path.unicodeScalars.prefix(200).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? $0 : "?" }))
    }
}
