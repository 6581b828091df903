import Hummingbird
import KuraCore
import KuraService
import Logging
import ServiceLifecycle

/// Runs ``KuraService/sweep()`` every interval while the server runs. A failed sweep is logged and
/// retried at the next tick; it never stops the server. On graceful shutdown the current pass finishes
/// and no new one starts.
struct KuraSweeper: Service {
    let service: KuraService
    let interval: Duration
    let logger: Logger
    var metrics: KuraMetrics? = nil

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let full = await sweepOnce()
            // A full batch means more may be due: go again at once instead of waiting a tick.
            if full { continue }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass; returns whether it handled a whole batch.
    func sweepOnce() async -> Bool {
        do {
            let report = try await service.sweep()
            metrics?.sweep(failure: nil)
            return report.released.count + report.expired.count >= service.configuration.sweepBatch
        } catch {
            metrics?.sweep(failure: error.code)
            logger.error("sweep failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            return false
        }
    }
}
