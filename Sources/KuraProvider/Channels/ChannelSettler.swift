import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a ``ChannelVoucherGate``'s schedule beside a provider's application: every `flushIntervalMs` it flushes
/// the journal; beside that, it settles what the journal recovered, then every `flushIntervalMs` settles what is
/// due; on graceful shutdown, a last flush and settlement of everything pending.
///
/// The flushes keep their own schedule: a settlement waits for Kura (a hanging Kura, up to its client's attempts
/// and timeouts), and the calls the gate serves meanwhile must not wait in memory for it (review finding).
public struct ChannelSettler: Service {
    let gate: ChannelVoucherGate

    /// Wraps a gate.
    public init(gate: ChannelVoucherGate) { self.gate = gate }

    public func run() async throws {
        let interval = Duration.milliseconds(gate.configuration.flushIntervalMs)
        let gate = gate
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.repeating(every: interval) { await gate.flushOrLog() } }
            group.addTask {
                await gate.recover()
                await Self.repeating(every: interval) { await gate.tick() }
            }
            await group.waitForAll()
        }
        await gate.shutdown()
    }

    /// Runs `body` every `interval` until the task is cancelled or the service shuts down gracefully.
    private static func repeating(every interval: Duration, _ body: () async -> Void) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await body()
        }
    }
}
