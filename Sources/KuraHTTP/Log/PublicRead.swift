import Hummingbird
import KuraCore

/// One request to a public route, read: path parameters and the (strictly parsed) query. No principal.
struct PublicRead {
    let parameters: Parameters
    let query: [String: String]

    /// A non-negative integer from the path, e.g. a receipt index.
    func pathNumber(_ name: String) throws(KuraError) -> UInt64 {
        guard let raw = parameters.get(name) else { throw KuraError(.internalError, "route has no parameter \(name)") }
        let text = try RequestInput.percentDecoded(raw[...], what: "path parameter '\(name)'")
        return try Self.number(text, what: name)
    }

    /// A non-negative integer from the query, or nil when the parameter is absent.
    func queryNumber(_ name: String) throws(KuraError) -> UInt64? {
        guard let text = query[name] else { return nil }
        return try Self.number(text, what: name)
    }

    /// A required non-negative integer from the query.
    func requiredQueryNumber(_ name: String) throws(KuraError) -> UInt64 {
        guard let value = try queryNumber(name) else {
            throw KuraError(.invalidRequest, "query parameter '\(name)' is required")
        }
        return value
    }

    /// Decimal digits without sign or leading zeros (`0`, `7`, `41`), fitting in 64 bits. Anything else
    /// (`-1`, `+1`, `01`, `1.0`, ` 1`, `0x1`, too large) is refused, so one number has one spelling.
    static func number(_ text: String, what: String) throws(KuraError) -> UInt64 {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count == 1 || digits.first != 0x30, let value = UInt64(text)
        else {
            throw KuraError(
                .invalidRequest,
                "\(what) must be a non-negative integer in decimal without sign or leading zeros, got '\(RequestInput.printable(String(text.prefix(40))))'"
            )
        }
        return value
    }
}

/// Answers that are not JSON values of ``JSONResponse``: exact bytes with a given media type.
enum RawResponse {
    /// Plain UTF-8 text (checkpoint notes, the verifier key).
    static let textMediaType = "text/plain; charset=utf-8"

    static func make(_ bytes: [UInt8], contentType: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String) -> Response { make(Array(text.utf8), contentType: textMediaType) }
}
