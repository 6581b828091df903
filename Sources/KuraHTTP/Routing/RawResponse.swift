import Hummingbird

/// Answers that are not JSON values of ``JSONResponse``: exact bytes with a given media type (an operation's
/// ``OperationRepresentation``, the explorer's files, the Prometheus exposition).
enum RawResponse {
    static func make(_ bytes: [UInt8], contentType: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
