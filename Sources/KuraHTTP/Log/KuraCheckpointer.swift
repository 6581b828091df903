import Hummingbird
import KuraCore
import KuraService
import Logging
import ServiceLifecycle

/// Issues signed checkpoints as the receipt tree grows: every interval, if the log has more receipts than
/// the newest checkpoint covers, ``KuraService/checkpointIfGrown()`` signs and keeps one for the current
/// size. So at most one checkpoint per interval, and none while nothing happens. The public routes
/// (`GET /v1/log/checkpoint`, bundles, attestations) serve only checkpoints issued here or by the
/// operator, and never sign one themselves: however many anonymous requests arrive, the log's readers cause
/// no write. A failure is logged and retried next tick. On graceful shutdown the loop stops without another
/// pass.
struct KuraCheckpointer: Service {
    let service: KuraService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // A first pass at once, so that a public read soon after the start finds a checkpoint.
        await checkpointOnce()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await checkpointOnce()
        }
    }

    /// One pass; returns the checkpoint it issued, if any. An empty log gets the checkpoint of the empty
    /// tree once (so `GET /v1/log/checkpoint` answers from the start), and then none until it grows.
    @discardableResult
    func checkpointOnce() async -> CheckpointRecord? {
        do {
            guard try await service.receiptCount() > 0 else {
                return try await service.latestCheckpoint() == nil ? try await service.checkpoint(size: 0) : nil
            }
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
