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
}
