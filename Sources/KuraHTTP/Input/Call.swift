import Hummingbird
import KuraCore
import KuraCrypto
import KuraProvider
import KuraService

/// One authenticated request, read: who calls, the raw body, path parameters and query.
struct Call {
    let request: Request
    let parameters: Parameters
    let principal: Principal
    let body: [UInt8]
    let query: [String: String]

    /// The `Idempotency-Key` header: 1 to 255 visible ASCII characters (`!` to `~`), or absent.
    var idempotencyKey: String? {
        get throws(KuraError) { try Self.idempotencyKey(of: request) }
    }

    /// The `Idempotency-Key` header of `request`, checked as ``idempotencyKey``.
    static func idempotencyKey(of request: Request) throws(KuraError) -> String? {
        guard let key = request.headers.value(of: KuraHeader.idempotencyKey) else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw KuraError(.invalidRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// The body as JSON (`{}` when empty).
    func json() throws(KuraError) -> JSONValue { try RequestInput.json(body) }

    /// A path parameter, percent-decoded and checked to be UTF-8.
    func parameter(_ name: String) throws(KuraError) -> String {
        guard let raw = parameters.get(name) else { throw KuraError(.internalError, "route has no parameter \(name)") }
        return try RequestInput.percentDecoded(raw[...], what: "path parameter '\(name)'")
    }

    /// A typed identifier from the path: percent-decoded, UTF-8, then validated.
    func id<ID: KuraIdentifier>(_ name: String, as type: ID.Type) throws(KuraError) -> ID {
        try ID(validating: parameter(name))
    }
}
