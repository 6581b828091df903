import KuraService
import Logging
import ServiceLifecycle

/// Decides undecided Solana withdrawals and payments by their signatures' status
/// (``KuraService/reconcileSolana()``): once at start, so that what a crash left pending is settled or
/// returned, then every interval. It only reads the chain; it never sends.
struct SolanaReconciler: Service {
    let service: KuraService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let decided = await service.reconcileSolana()
            if decided > 0 { logger.info("reconciled solana transactions", metadata: ["decided": "\(decided)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
