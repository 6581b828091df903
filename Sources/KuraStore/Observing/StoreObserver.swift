import KuraCore

/// Hears what the writer does, for metrics and readiness. KuraStore depends on no metrics library: an
/// adapter (KuraHTTP) implements this and passes it in ``SQLiteEventStore/Configuration/observer``.
///
/// Implementations must be quick and must not call back into the store: `queueDepth` is called under the
/// writer's lock (so depths arrive in the order they happened), the batch calls on the writer's thread.
public protocol StoreObserver: Sendable {
    /// A batch committed: `commands` commands (failed ones included) wrote `events` events in one
    /// transaction that took `seconds` from `BEGIN` to a durable `COMMIT`.
    func batchCommitted(commands: Int, events: Int, seconds: Double)
    /// A batch failed as a whole (nothing of it is durable; every caller heard `code`).
    func batchFailed(commands: Int, code: KuraError.Code)
    /// The commands waiting for the writer, after one was queued or a batch was taken (a batch then runs
    /// until `batchCommitted` or `batchFailed`).
    func queueDepth(_ depth: Int)
}
