import Hummingbird
import KuraService
import Logging

/// `GET /metrics` on a listener of its own, for ``KuraServer/MetricsAccess/separatePort(host:port:)``: no
/// credentials, nothing else served. It runs as one of the server's services and stops with it.
struct MetricsListener: Sendable {
    let service: KuraService
    let metrics: KuraMetrics
    let logger: Logger

    func makeApplication(host: String, port: Int, onListening: (@Sendable (Int) async -> Void)?)
        -> some ApplicationProtocol
    {
        let router = Router()
        router.get("/metrics") { [service, metrics] _, _ in
            await MetricsScrape.response(service: service, metrics: metrics)
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                if let onListening, let port = channel.localAddress?.port { await onListening(port) }
            },
            logger: logger)
    }
}
