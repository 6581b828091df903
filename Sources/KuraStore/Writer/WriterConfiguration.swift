import Foundation
import KuraCore

/// How the single writer batches.
public struct WriterConfiguration: Sendable {
    /// The most commands one batch takes.
    public var maxBatch: Int = 1024
    /// How long the writer may wait for the callers of its previous batch before committing a smaller one
    /// (a fraction of an fsync).
    public var lingerSeconds: Double = 0.001
    /// Assertion mode: after every batch, compare the writer's memory with the read models and stop the
    /// process on a difference. On in tests; off by default in `serve` (`KURA_ASSERT_STATE=1` turns it on).
    public var assertState: Bool = ProcessInfo.processInfo.environment["KURA_ASSERT_STATE"] == "1"
    /// Stream versions kept in memory (beyond it, the least recently written are forgotten after a batch).
    public var streamVersionCapacity: Int = 100_000
    /// Idempotency answers kept in memory (misses read the table, so other processes' keys are honoured).
    public var idempotencyCapacity: Int = 10_000
    /// Receives batch sizes, timings, failures and the queue depth.
    public var observer: (any StoreObserver)?

    /// The defaults.
    public init() {}

    /// A configuration with these batch limits.
    public init(maxBatch: Int, lingerSeconds: Double = 0.001, observer: (any StoreObserver)? = nil) {
        self.maxBatch = maxBatch
        self.lingerSeconds = lingerSeconds
        self.observer = observer
    }
}
