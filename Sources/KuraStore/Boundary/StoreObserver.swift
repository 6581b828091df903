import KuraCore

/// Receives the writer's vital signs, for metrics. Called on the writer thread: keep each call short and
/// never block in it.
public protocol StoreObserver: Sendable {
    /// A batch committed durably: how many commands it carried (refused ones included), how many events it
    /// appended, and how long it took from `begin` to the end of `commit`.
    func batchCommitted(commands: Int, events: Int, seconds: Double)
    /// A batch failed to write or commit; every command in it was answered with `code`.
    func batchFailed(commands: Int, code: KuraError.Code)
    /// Commands waiting for the writer, sampled when a batch is taken.
    func queueDepth(_ depth: Int)
}
