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

    /// `GET /v1/log/checkpoint`: the newest checkpoint issued, as its C2SP signed note, `text/plain`. Never
    /// signs or stores one: checkpoints are issued by the checkpointer (at most one per interval while the log
    /// grows) or the operator. Before the first, it waits briefly for the checkpointer, then answers 503
    /// `checkpoint_pending`.
    func checkpoint() async throws(KuraError) -> Response {
        RawResponse.text(try await issuedCheckpoint(covering: 0).note)
    }

    /// The newest issued checkpoint if it holds at least `size` receipts (`0`: any); otherwise the
    /// checkpointer's next one, polled for up to ``checkpointWait`` (the log may have grown since the
    /// newest). Past that, 503 `checkpoint_pending`. Reads only: waiting costs one indexed read per 50 ms.
    func issuedCheckpoint(covering size: UInt64) async throws(KuraError) -> CheckpointRecord {
        let deadline = ContinuousClock.now.advanced(by: checkpointWait)
        while true {
            let latest = try await service.latestCheckpoint()
            if let latest, latest.size >= size { return latest }
            if ContinuousClock.now >= deadline {
                throw KuraError(
                    .checkpointPending,
                    latest == nil
                        ? "no checkpoint has been issued yet; retry shortly"
                        : "no checkpoint issued yet holds \(size) receipts; retry shortly")
            }
            do { try await Task.sleep(for: .milliseconds(50)) } catch {
                throw KuraError(.checkpointPending, "the request was cancelled while waiting for a checkpoint")
            }
        }
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
