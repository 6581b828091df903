import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// Answers a public log route. The steps: query and path (400), then the route. No body is read and no
    /// credentials are asked for or checked.
    func respond(to endpoint: LogEndpoint, _ request: Request, context: KuraRequestContext) async throws(KuraError)
        -> Response
    {
        let read = PublicRead(
            parameters: context.parameters,
            query: try RequestInput.query(request.uri.query, allowed: endpoint.queryParameters))
        switch endpoint {
        case .listReceipts: return try await listReceipts(read)
        case .showReceipt: return try await showReceipt(read)
        case .receiptBundle: return try await receiptBundle(read)
        case .checkpoint: return try await checkpoint()
        case .consistency: return try await consistency(read)
        case .verifierKey: return verifierKey()
        case .jwks: return try jwks()
        }
    }

    /// `GET /v1/log/checkpoint`: the C2SP signed note for the log's current size, `text/plain`. Signed (and
    /// kept) on demand if no checkpoint of this size exists yet; the same size always gives the same bytes.
    func checkpoint() async throws(KuraError) -> Response {
        RawResponse.text(try await service.checkpoint().note)
    }

    /// `GET /v1/log/consistency?from=&to=`: the RFC 6962 consistency proof between two tree sizes,
    /// `{from, to, hashes: [base64]}`. Both are required, with 1 ≤ from ≤ to ≤ the current size.
    func consistency(_ read: PublicRead) async throws(KuraError) -> Response {
        let from = try read.requiredQueryNumber("from")
        let to = try read.requiredQueryNumber("to")
        return try await JSONResponse.make(service.consistency(from: from, to: to))
    }

    /// `GET /v1/log/key`: the note verifier key that checks every checkpoint, and so every bundle,
    /// followed by a newline, `text/plain`.
    func verifierKey() -> Response {
        RawResponse.text(service.verifierKey + "\n")
    }
}
