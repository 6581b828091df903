import Hummingbird
import KuraCore
import KuraService
import KuraStore

/// What the operations routes need besides the service.
struct OperationsSettings: Sendable {
    /// Where request, writer and background figures are counted.
    var metrics: KuraMetrics
    /// Whether `GET /metrics` is served on the API port (to the operator); otherwise it is 404 there.
    var metricsOnAPIPort: Bool
    /// Whether the explorer page is served.
    var explorer: Bool
    /// How long the writer may owe work without finishing a batch before `/readyz` says it is stalled.
    var writerStallSeconds: Double
}

extension KuraHandlers {
    /// Answers an operations route. No query parameters are accepted; `/metrics` asks for the operator.
    func respond(to endpoint: OperationsEndpoint, _ request: Request, context: KuraRequestContext)
        async throws(KuraError) -> Response
    {
        _ = try RequestInput.query(request.uri.query, allowed: [])
        switch endpoint {
        case .metrics:
            guard operations.metricsOnAPIPort else {
                throw KuraError(.notFound, "metrics are served on the metrics port, not here")
            }
            let principal = try await RequestAuthenticator(service: service).principal(for: request, body: [])
            guard principal.party.roles.contains(.operator) else {
                throw KuraError(.forbidden, "only the operator reads the metrics")
            }
            return await MetricsScrape.response(service: service, metrics: operations.metrics)
        case .explorerPage, .explorerScript, .explorerStyle:
            guard operations.explorer else { throw KuraError(.notFound, "the explorer is switched off") }
            return ExplorerAssets.response(for: endpoint)
        }
    }

    /// What the server offers catalog operations: the checkpoint wait of the public reads, and what readiness
    /// knows of the writer (`/readyz` is 503 while it has owed work longer than the stall limit).
    var servingEnvironment: ServingEnvironment {
        let metrics = operations.metrics
        let stallSeconds = operations.writerStallSeconds
        return ServingEnvironment(checkpointWait: checkpointWait) {
            guard let wait = metrics.writerWait(), wait.seconds > stallSeconds else { return nil }
            return "the writer has owed work for \(Int(wait.seconds)) s without finishing a batch"
        }
    }
}

/// Brings the log, checkpoint and memory gauges up to date, then renders every metric.
enum MetricsScrape {
    /// The media type of the Prometheus text exposition format.
    static let mediaType = "text/plain; version=0.0.4; charset=utf-8"

    static func response(service: KuraService, metrics: KuraMetrics) async -> Response {
        await refresh(service: service, metrics: metrics)
        return RawResponse.make(metrics.render(), contentType: mediaType)
    }

    /// Reads the head, the receipt count and the newest checkpoint. A read that fails leaves the gauges as
    /// they were: a scrape must not fail because the figures are momentarily out of reach.
    static func refresh(service: KuraService, metrics: KuraMetrics) async {
        metrics.memory(sqliteBytes: SQLiteMemory.used)
        let latest: CheckpointRecord?
        do { latest = try await service.latestCheckpoint() } catch { return }
        guard let head = try? await service.store.head(), let receipts = try? await service.receiptCount() else {
            return
        }
        let covered = latest?.size ?? 0
        var age = 0.0
        if receipts > covered, let oldest = try? await service.receipt(covered) {
            age = max(0, Double(service.clock.now().milliseconds - oldest.at.milliseconds) / 1000)
        }
        metrics.log(headSeq: head.seq, receipts: receipts, checkpointSize: covered, checkpointAge: age)
    }
}
