import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a ``ChannelVoucherGate``'s schedule beside a provider's application: settles what the journal
/// recovered, then every `flushIntervalMs` flushes the journal and settles what is due; on graceful
/// shutdown, a last flush and settlement of everything pending.
public struct ChannelSettler: Service {
    let gate: ChannelVoucherGate

    /// Wraps a gate.
    public init(gate: ChannelVoucherGate) { self.gate = gate }

    public func run() async throws {
        await gate.recover()
        let interval = Duration.milliseconds(gate.configuration.flushIntervalMs)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await gate.tick()
        }
        await gate.shutdown()
    }
}
