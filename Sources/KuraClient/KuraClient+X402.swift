import AsyncHTTPClient
import KuraCore
import KuraCrypto
import KuraX402
import Tracing

extension KuraClient {
    /// `GET /facilitator/supported`.
    public func x402Supported() async throws(KuraClientError) -> SupportedResponse {
        try await perform(KuraAPI.x402Supported, at: NoPath())
    }

    /// `POST /facilitator/verify`: a refusal is an answer (`isValid: false`), not an error.
    public func x402Verify(_ request: FacilitatorRequest) async throws(KuraClientError) -> VerifyResponse {
        try await perform(KuraAPI.x402Verify, request)
    }

    /// `POST /facilitator/settle`: a refusal is an answer (`success: false`), not an error. Retried after a
    /// transport failure with the same body and `Idempotency-Key`, which settles at most once: the retry gets
    /// the first answer, another repeat a refusal (or with `repeats: .answer` the first answer, as
    /// ``X402SettleQuery/Repeat`` says).
    public func x402Settle(_ request: FacilitatorRequest, repeats: X402SettleQuery.Repeat = .refuse)
        async throws(KuraClientError) -> SettleResponse
    {
        try await perform(KuraAPI.x402Settle, at: NoPath(), query: X402SettleQuery(repeats: repeats), body: request)
    }
}

extension KuraClient {
    /// An HTTP client that keeps up to `connections` connections to one host (AsyncHTTPClient's default is 8):
    /// for a provider whose concurrent paid requests each call Kura's facilitator, so the pool does not queue them.
    /// It lives as long as the process.
    public static func pooledHTTPClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections))
        // AsyncHTTPClient sets a span's attributes on every request (parsing its URL again) even for the no-op
        // tracer of a process that bootstrapped none: about 4 % of a provider's CPU on the paid route
        // (Docs/performance.md). A tracer the process bootstrapped is kept.
        if configuration.tracing.tracer is NoOpTracer { configuration.tracing.tracer = nil }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Opens `connections` connections to Kura now (concurrent `GET /healthz`), so that the first paid requests
    /// after start do not each pay for a TCP handshake: a resource server calls this once its pool exists. The
    /// pool keeps them for its idle timeout. Failures are ignored: a cold connection still works.
    public func warm(connections: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(0, connections) {
                group.addTask { _ = try? await self.perform(KuraAPI.health, query: AnyQuery()) }
            }
        }
    }
}
