import KuraCore

/// What the writer decides on: typed state held in memory between batches (KuraService's `WriterState`).
///
/// The writer calls it on its own thread only. Every mutation a command makes must be recorded in an undo
/// journal between ``beginCommand()`` and ``endCommand(succeeded:)``: a refused command is undone from it and
/// leaves nothing behind (no savepoint, nothing written). A cache must never be trusted over the log: after
/// ``reset()`` everything is read again (through the writer's ``ReadSession``) on first use.
public protocol WriterModel: AnyObject {
    /// The writer session's reads, for cache misses: inside each batch's transaction. Called once, when the
    /// writer starts, before anything else.
    func attach(_ reads: any ReadSession)

    /// Folds an event just appended (or, on replay, read back) into the state and records its row changes
    /// with ``WriteTransaction/change(_:)``. `decoded` is the typed event when the appender had it.
    func apply(_ event: Event, decoded: (any DomainEvent)?, _ tx: WriteTransaction) throws(KuraError)

    /// Another writer appended `events` (in order) since this writer's last batch; their rows are already
    /// written. Forget whatever they touch, so that the next use reads the rows again. `reads` is inside the
    /// batch's transaction. `receipts`: the first page of the receipts after ``lastReceipt`` and the rows
    /// they name, when the backend read them with the lock (nil: read them through `reads` if needed).
    func catchUp(_ events: [Event], receipts: ReceiptTail?, _ reads: any ReadSession) throws(KuraError)

    /// The index of the last receipt whose Merkle leaf the model holds (-1: none), so that the backend can read
    /// the receipts after it with the lock; nil when it holds no tree.
    var lastReceipt: Int64? { get }

    /// Forgets everything (a failed batch, a log that is not the one the writer knew, a replay).
    func reset()

    /// A command starts: mutations from here on are journaled.
    func beginCommand()

    /// The command ended. If it failed, every mutation since ``beginCommand()`` is undone.
    func endCommand(succeeded: Bool)

    /// Before the batch's rows are written: what is derived once per batch (receipt leaves and their
    /// Merkle nodes, the reputation log row) is added with ``WriteTransaction/change(_:)``.
    func finishBatch(_ tx: WriteTransaction) throws(KuraError)

    /// Everything so far is written (committed, or written inside a replay's transaction): drop cold entries so
    /// that memory levels off.
    func trim()

    /// Assertion mode: the differences between the in-memory state and the rows `reads` sees (empty when
    /// they agree). Called between batches.
    func differences(_ reads: any ReadSession) throws(KuraError) -> [String]
}

/// A model with no state: the log alone (benchmarks, the store's own tests, `kura log`).
public final class LogOnlyModel: WriterModel {
    public init() {}
    public func attach(_ reads: any ReadSession) {}
    public func apply(_ event: Event, decoded: (any DomainEvent)?, _ tx: WriteTransaction) throws(KuraError) {}
    public func catchUp(_ events: [Event], receipts: ReceiptTail?, _ reads: any ReadSession) throws(KuraError) {}
    public var lastReceipt: Int64? { nil }
    public func reset() {}
    public func beginCommand() {}
    public func endCommand(succeeded: Bool) {}
    public func finishBatch(_ tx: WriteTransaction) throws(KuraError) {}
    public func trim() {}
    public func differences(_ reads: any ReadSession) throws(KuraError) -> [String] { [] }
}
