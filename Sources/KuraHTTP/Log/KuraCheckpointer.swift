import Hummingbird
import KuraCore
import KuraService
import Logging
import ServiceLifecycle

/// Issues signed checkpoints as the receipt tree grows: every interval, if the log has more receipts than
/// the newest checkpoint covers, ``KuraService/checkpointIfGrown()`` signs and keeps one for the current
/// size. So at most one checkpoint per interval, and none while nothing happens. Checkpoints are also
/// signed on demand (`GET /v1/log/checkpoint`, bundles); this loop makes sure one exists for every
/// stretch of growth even when nobody asks. A failure is logged and retried next tick. On graceful
/// shutdown the loop stops without another pass.
struct KuraCheckpointer: Service {
    let service: KuraService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await checkpointOnce()
        }
    }

    /// One pass; returns the checkpoint it issued, if any. An empty log gets none.
    @discardableResult
    func checkpointOnce() async -> CheckpointRecord? {
        do {
            guard try await service.receiptCount() > 0 else { return nil }
            let issued = try await service.checkpointIfGrown()
            if let issued {
                logger.debug("checkpoint issued", metadata: ["size": "\(issued.size)", "root": "\(issued.rootHash)"])
            }
            return issued
        } catch {
            logger.error("checkpoint failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            return nil
        }
    }
}
