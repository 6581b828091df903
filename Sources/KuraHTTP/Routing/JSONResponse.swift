import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

/// Renders answers as RFC 8785 canonical JSON, so the same value is always the same bytes (a replayed
/// idempotent answer is byte-identical to the first).
enum JSONResponse {
    static let mediaType = "application/json"

    static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, replayed: Bool = false, location: String? = nil
    ) throws(KuraError) -> Response {
        let bytes: [UInt8]
        do { bytes = try JSONValue(encoding: value).canonicalBytes() } catch {
            throw KuraError(.internalError, "cannot encode the answer: \(error.reason)")
        }
        var headers: HTTPFields = [.contentType: mediaType]
        if replayed { headers[KuraHeader.idempotentReplayed] = "true" }
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The answer to a command: 201 with `Location` when it created `location`, else 200.
    static func make<Value: Encodable>(_ reply: Reply<Value>, created location: String? = nil) throws(KuraError)
        -> Response
    {
        try make(reply.value, status: location == nil ? .ok : .created, replayed: reply.replayed, location: location)
    }

    /// A page of a list as `{items, nextCursor}`; `nextCursor` is always present, `null` on the last page, so
    /// clients need not test for a missing member.
    static func page<Item>(_ page: Page<Item>) throws(KuraError) -> Response {
        let items: JSONValue
        do { items = try JSONValue(encoding: page.items) } catch {
            throw KuraError(.internalError, "cannot encode \(Item.self) items: \(error.reason)")
        }
        return try make(["items": items, "nextCursor": page.nextCursor.map { .string($0) } ?? .null] as JSONValue)
    }
}
