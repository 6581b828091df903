import Foundation
import KuraCore
import KuraCrypto

/// The log as its users see it, on any ``StorageBackend``: the single writer that group-commits commands
/// (deciding against a ``WriterModel`` held in memory), and reads on the backend's reader lanes.
///
/// ```swift
/// let store = try EventStore(backend: SQLiteBackend(.init(path: "kura.sqlite", create: true)))
/// let outcome = try await store.append([NewEvent(stream: "s/1", type: "t", payload: ["n": 1])],
///                                      actor: "pty_…", commandId: "cmd_…", at: now, idempotency: nil)
/// let head = try await store.head()
/// ```
public final class EventStore: @unchecked Sendable {
    /// Where the log lives.
    public let backend: any StorageBackend
    private let writer: GroupCommitWriter

    /// Starts the writer on a session of `backend`, deciding against `model`.
    public init(
        backend: any StorageBackend, model: any WriterModel = LogOnlyModel(),
        configuration: WriterConfiguration = WriterConfiguration()
    ) throws(KuraError) {
        self.backend = backend
        let session = try backend.makeWriterSession()
        // Last, once nothing else can fail: the writer starts a thread that only `close()`/deinit ends.
        writer = GroupCommitWriter(session: session, model: model, configuration: configuration)
    }

    /// Stops the writer after the work in flight, then the readers; later calls fail with `storage_failure`.
    public func close() {
        writer.stop()
        backend.close()
    }

    /// A store dropped without `close()` still ends its writer thread and releases its connections.
    deinit {
        writer.requestStop()
    }

    // MARK: Writing

    /// Appends one command's events atomically, after checking each expected version. With an idempotency
    /// key: the same key and request return the stored outcome; a different request under the same key is
    /// `idempotency_conflict`. Returns once the batch is durable.
    public func append(
        _ events: [NewEvent], actor: String, commandId: String, at: Timestamp, idempotency: IdempotencyKey?,
        response: [UInt8] = []
    ) async throws(KuraError) -> AppendOutcome {
        try await transact { (tx: inout WriteTransaction) throws(KuraError) -> AppendOutcome in
            if let idempotency, let stored = try tx.idempotentResponse(for: idempotency) {
                return AppendOutcome(events: [], response: stored, replayed: true)
            }
            var written: [Event] = []
            for event in events {
                written.append(try tx.append(event, actor: actor, commandId: commandId, at: at))
            }
            if let idempotency { tx.recordResponse(response, for: idempotency) }
            return AppendOutcome(events: written, response: response, replayed: false)
        }
    }

    /// Runs `body` as one command of the next batch. The body sees the log and the model as of the commands
    /// ordered before it; if it throws, everything it did is undone and nothing of it is written. Returns once
    /// the batch is durable.
    public func transact<T: Sendable>(
        _ body: @escaping @Sendable (inout WriteTransaction) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        let result: Result<T, KuraError> = await withCheckedContinuation { continuation in
            writer.submit(Self.work(body)) { outcome in continuation.resume(returning: outcome.map { $0 as! T }) }
        }
        return try result.get()
    }

    /// `body` as the writer runs a command: its result or its error, as a value.
    private static func work<T: Sendable>(_ body: @escaping @Sendable (inout WriteTransaction) throws(KuraError) -> T)
        -> GroupCommitWriter.Work
    {
        { tx -> Result<any Sendable, KuraError> in
            var tx = tx
            do throws(KuraError) {
                return .success(try body(&tx))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Runs each body as a command of its own, queued together in this order: they share batches (one durable
    /// commit for up to a batch of them), and the log holds their events in this order. A body that throws is
    /// undone alone, as in ``transact(_:)``. Returns every body's result, in order, once each is durable or
    /// refused.
    public func transactEach<T: Sendable>(
        _ bodies: [@Sendable (inout WriteTransaction) throws(KuraError) -> T]
    ) async -> [Result<T, KuraError>] {
        guard !bodies.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let results = ResultsInOrder<T>(count: bodies.count, continuation)
            writer.submit(
                bodies.enumerated().map { index, body in
                    (work: Self.work(body), completion: { outcome in results.set(index, outcome.map { $0 as! T }) })
                })
        }
    }

    // MARK: Reading

    /// Runs `body` on a reader of `lane` (one consistent snapshot), never on a cooperative thread.
    public func read<T: Sendable>(
        _ lane: ReadLane = .standard, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        try await backend.read(lane, body)
    }

    /// The newest sequence number and hash.
    public func head() async throws(KuraError) -> LogHead {
        try await read { session throws(KuraError) in try session.head() }
    }

    /// The head, and the sequence number of the last event this store's writer answered for if the log no longer
    /// holds it (an asynchronous standby promoted, a copy restored under the running node): the writer then
    /// refuses every batch as `chain_broken` until the event is back. Read fresh each time, so a log that got the
    /// event back is whole again here at once, before any batch commits.
    public func headAndLostEvent() async throws(KuraError) -> (head: LogHead, lost: UInt64?) {
        let acknowledged = writer.acknowledged
        return try await read { session throws(KuraError) in
            let head = try session.head()
            guard let acknowledged else { return (head, nil) }
            let lost = try GroupCommitWriter.lost(acknowledged, from: head, reading: session)
            return (head, lost ? acknowledged.seq : nil)
        }
    }

    /// Events with `seq > after`, in order, at most `limit`.
    public func events(after: UInt64, limit: Int) async throws(KuraError) -> [Event] {
        try await read { session throws(KuraError) in try session.events(after: after, limit: limit) }
    }

    /// Every event of one stream, in version order.
    public func events(inStream stream: String) async throws(KuraError) -> [Event] {
        try await read { session throws(KuraError) in try session.events(inStream: stream) }
    }

    /// Re-walks the whole chain and reports the first broken link, if any. `progress`, if given, hears the
    /// count of events checked as it goes (for `kura log verify` on a terminal), on the reader's thread.
    public func verify(progress: (@Sendable (UInt64) -> Void)? = nil) async throws(KuraError) -> ChainReport {
        try await read { session throws(KuraError) in try session.verifyChain(progress: progress) }
    }

    /// How many commands entered the writer's queue since the store opened (reads never do).
    public var writesQueued: Int { writer.submitted }

    // MARK: Maintenance

    /// Rebuilds every read model from the log in one transaction (`kura replay`): empties them, folds every
    /// event through the model page by page, writing each page's rows. Returns the projection digests before
    /// and after: equal unless a read model had drifted from the log. `progress`, if given, hears the count of
    /// events replayed after each page (on the writer's thread).
    public func replay(pageSize: Int = 1000, progress: (@Sendable (UInt64) -> Void)? = nil) async throws(KuraError)
        -> (before: String, after: String, events: UInt64)
    {
        try await maintain { session, tx throws(KuraError) -> ReplayOutcome in
            let before = try session.reads.projectionDigest()
            try tx.resetReadModels(.all, on: session)
            tx.model.reset()
            var count: UInt64 = 0
            while true {
                let page = try session.reads.events(after: count, limit: pageSize)
                if page.isEmpty { break }
                for event in page { try tx.project(event) }
                try tx.flush(to: session)
                count += UInt64(page.count)
                progress?(count)
            }
            try tx.flush(to: session)
            return ReplayOutcome(before: before, after: try session.reads.projectionDigest(), events: count)
        }.tuple
    }

    private struct ReplayOutcome: Sendable {
        let before: String
        let after: String
        let events: UInt64
        var tuple: (before: String, after: String, events: UInt64) { (before, after, events) }
    }

    /// The differences between the writer's memory and the read models, right now (between batches); empty
    /// when they agree. What the assertion mode checks after every batch.
    public func writerStateDifferences() async throws(KuraError) -> [String] {
        try await maintain { session, tx throws(KuraError) -> [String] in
            try tx.model.differences(session.reads)
        }
    }

    /// Runs `body` alone in its own write transaction, with the writer's session itself: migrations and
    /// rebuilds. What it records with the transaction is written when it returns; `tx.flush(to:)` writes what
    /// is pending earlier (to bound memory).
    public func maintain<T: Sendable>(
        _ body: @escaping @Sendable (any WriterSession, WriteTransaction) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        let result: Result<T, KuraError> = await withCheckedContinuation { continuation in
            writer.submitMaintenance { session, tx -> Result<any Sendable, KuraError> in
                do throws(KuraError) {
                    return .success(try body(session, tx))
                } catch {
                    return .failure(error)
                }
            } completion: { outcome in
                continuation.resume(returning: outcome.map { $0 as! T })
            }
        }
        return try result.get()
    }
}

/// The results of ``EventStore/transactEach(_:)``, filled in by the writer as their batches end; the last one
/// resumes the caller.
private final class ResultsInOrder<T: Sendable>: @unchecked Sendable {
    private var results: [Result<T, KuraError>?]
    private var remaining: Int
    private let lock = NSLock()
    private let continuation: CheckedContinuation<[Result<T, KuraError>], Never>

    init(count: Int, _ continuation: CheckedContinuation<[Result<T, KuraError>], Never>) {
        results = Array(repeating: nil, count: count)
        remaining = count
        self.continuation = continuation
    }

    func set(_ index: Int, _ result: Result<T, KuraError>) {
        lock.lock()
        results[index] = result
        remaining -= 1
        let done = remaining == 0
        lock.unlock()
        if done { continuation.resume(returning: results.map { $0! }) }
    }
}
