import Foundation
import KuraCore
import Synchronization

/// The single writer: one thread, one ``WriterSession``. Commands queue while the previous batch commits;
/// the next batch takes them all (up to `maxBatch`, lingering briefly for the last batch's callers), runs each
/// against the model's in-memory state, then writes the whole batch in bulk in one transaction and one fsync.
///
/// Per batch: `begin` (the write lock and the true head); catch-up if another writer appended since this one's
/// last batch; each command with an undo journal (a refused one leaves nothing); the model's once-per-batch
/// work (receipt leaves, Merkle nodes); `write`; `commit`; then the callers are answered and cold cache entries
/// dropped. A batch that fails to write or commit is rolled back, every cache is dropped, and every caller
/// hears the failure: none is acknowledged.
final class GroupCommitWriter: @unchecked Sendable {
    typealias Work = (WriteTransaction) -> Result<any Sendable, KuraError>
    typealias Maintenance = (any WriterSession, WriteTransaction) -> Result<any Sendable, KuraError>
    typealias Completion = @Sendable (Result<any Sendable, KuraError>) -> Void

    private enum Job {
        case command(Work)
        /// Runs alone in its own transaction with the session itself (replay, state checks).
        case maintenance(Maintenance)
    }

    private struct Item {
        let job: Job
        let completion: Completion
    }

    private let session: any WriterSession
    private let model: any WriterModel
    private let configuration: WriterConfiguration
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var stopped = false
    private var lastBatchSize = 0
    private var submittedCount = 0
    private var thread: Thread?
    // Writer-thread state.
    private let versions: WriterCache<String, UInt64>
    private let idempotency: WriterCache<String, IdempotencyRecord>
    /// The head after this writer's last committed batch; nil when unknown (start, or after a failure).
    private var knownHead: LogHead?
    /// The read models' rebuild count as of this writer's last batch (``BatchStart/readModelEpoch``).
    private var knownEpoch: Int64?
    /// The head as of this writer's last batch that answered a command with success (appending, or answering from
    /// events already there: an idempotent replay, another node's), kept through failures (unlike `knownHead`):
    /// the log must still hold it (``requireAcknowledgedEvents(in:)``).
    private var acknowledgedHead: LogHead? {
        didSet { acknowledgedShared.withLock { $0 = acknowledgedHead } }
    }
    /// `acknowledgedHead` for other threads (readiness).
    private let acknowledgedShared = Mutex<LogHead?>(nil)

    /// The head as of the last batch that answered a command with success (any thread).
    var acknowledged: LogHead? { acknowledgedShared.withLock { $0 } }

    init(session: any WriterSession, model: any WriterModel, configuration: WriterConfiguration) {
        self.session = session
        self.model = model
        self.configuration = configuration
        versions = WriterCache(capacity: configuration.streamVersionCapacity)
        idempotency = WriterCache(capacity: configuration.idempotencyCapacity)
        model.attach(session.reads)
        // Strong: the thread owns the writer until it stops. With `unowned`, a store released before the
        // thread started (e.g. an init that threw after creating the writer) crashed the process.
        // Named from inside, for profilers and /proc/PID/task/*/comm (``ThreadName``).
        let thread = Thread { [self] in
            ThreadName.setCurrent("kura-writer")
            self.run()
        }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    func submit(_ work: @escaping Work, completion: @escaping Completion) {
        enqueue([Item(job: .command(work), completion: completion)])
    }

    /// Queues several commands at once, in this order: nothing queued by another caller comes between them.
    func submit(_ commands: [(work: Work, completion: Completion)]) {
        enqueue(commands.map { Item(job: .command($0.work), completion: $0.completion) })
    }

    func submitMaintenance(_ work: @escaping Maintenance, completion: @escaping Completion) {
        enqueue([Item(job: .maintenance(work), completion: completion)])
    }

    private func enqueue(_ items: [Item]) {
        condition.lock()
        if stopped {
            condition.unlock()
            for item in items { item.completion(.failure(KuraError(.storageFailure, "the store is closed"))) }
            return
        }
        queue.append(contentsOf: items)
        submittedCount += items.count
        condition.signal()
        condition.unlock()
    }

    /// How many pieces of work were queued since the writer started: a read path that must never write
    /// (the public routes) is tested by this number not moving.
    var submitted: Int {
        condition.lock()
        defer { condition.unlock() }
        return submittedCount
    }

    /// Asks the thread to finish the queued work and end, without waiting (safe from any thread).
    func requestStop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Finishes queued work, then ends the thread and closes the session.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            // Linger briefly while the callers of the last batch are still coming back: a batch costs one
            // fsync whatever its size, so waiting a fraction of an fsync for them raises throughput.
            let deadline = Date(timeIntervalSinceNow: configuration.lingerSeconds)
            while !stopped && queue.count < lastBatchSize && queue.count < configuration.maxBatch
                && condition.wait(until: deadline)
            {}
            if queue.isEmpty && stopped {
                session.close()
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            // The write lock first, the batch second: while another writer (a node on the same database)
            // holds the lock, the commands that arrive meanwhile join this batch instead of waiting for the
            // lock once more in the next one.
            let started = DispatchTime.now().uptimeNanoseconds
            let known = knownHead.map { LogPosition(lastEvent: $0, lastReceipt: model.lastReceipt) }
            let begun = Result { () throws(KuraError) -> BatchStart in try session.begin(after: known) }
            condition.lock()
            var take = 0
            if case .maintenance = queue[0].job {
                take = 1
            } else {
                while take < min(queue.count, configuration.maxBatch) {
                    if case .maintenance = queue[take].job { break }
                    take += 1
                }
            }
            let batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            lastBatchSize = take
            let depth = queue.count
            condition.unlock()
            configuration.observer?.queueDepth(depth)
            execute(batch, begun: begun, started: started)
        }
    }

    /// Runs a batch in the transaction `begun` started at `started` (or fails every item with its error).
    private func execute(_ items: [Item], begun: Result<BatchStart, KuraError>, started: UInt64) {
        var results: [Result<any Sendable, KuraError>] = []
        results.reserveCapacity(items.count)
        var appended = 0
        do throws(KuraError) {
            let start = try begun.get()
            let head = start.head
            try catchUp(to: start)
            let batch = WriteBatch(
                head: head, reads: session.reads, model: model, versions: versions, idempotency: idempotency)
            let tx = WriteTransaction(batch)
            for item in items {
                switch item.job {
                case .command(let work):
                    batch.beginCommand()
                    let result = work(tx)
                    if case .success = result {
                        batch.endCommand(succeeded: true)
                    } else {
                        batch.endCommand(succeeded: false)
                    }
                    results.append(result)
                case .maintenance(let work):
                    batch.beginCommand()
                    let result = work(session, tx)
                    // A maintenance job that fails aborts its transaction as a whole.
                    if case .failure(let error) = result { throw error }
                    batch.endCommand(succeeded: true)
                    results.append(result)
                }
            }
            try model.finishBatch(tx)
            let write = batch.write
            appended = write.events.count
            if !write.isEmpty { try session.write(write) }
            try session.commit()
            knownHead = batch.head
            if results.contains(where: { if case .success = $0 { true } else { false } }) {
                acknowledgedHead = batch.head
            }
            // Each rebuild counted one more (the model was rebuilt with it): not another writer's.
            if let epoch = knownEpoch { knownEpoch = epoch + Int64(batch.readModelResets) }
            for (key, record) in batch.recorded { idempotency.set(key, record) }
            idempotency.commit()
        } catch {
            session.rollback()
            // Nothing of this batch is durable and the caches may hold its undone decisions: forget them all.
            reset()
            configuration.observer?.batchFailed(commands: items.count, code: error.code)
            for item in items { item.completion(.failure(error)) }
            return
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        configuration.observer?.batchCommitted(commands: items.count, events: appended, seconds: seconds)
        for (item, result) in zip(items, results) { item.completion(result) }
        model.trim()
        versions.trim()
        idempotency.trim()
        if configuration.assertState { assertState() }
    }

    private func reset() {
        model.reset()
        versions.removeAll()
        idempotency.removeAll()
        knownHead = nil
    }

    /// Brings the caches up to `head`, the head as stored: another writer may have appended since this one's
    /// last batch. Their rows are written; the model brings what it caches up to date from their events, or
    /// forgets it to read it again when needed.
    private func catchUp(to start: BatchStart) throws(KuraError) {
        let head = start.head
        // Another writer emptied and rebuilt the read models (`kura replay` beside a server): their rows changed
        // without an event, so no tail says what. A cached row may hold the drift the rebuild mended, and would be
        // decided on and written back.
        if start.readModelEpoch != knownEpoch {
            knownEpoch = start.readModelEpoch
            try forgetAll(head)
            return
        }
        guard let known = knownHead else {
            // Nothing known about the log (start, or after a failed batch): the caches are empty already.
            try forgetAll(head)
            return
        }
        if head == known { return }
        let reads = session.reads
        guard head.seq > known.seq else {
            try forgetAll(head)
            return
        }
        // The first page starts with our own last event, which must still be in the log, unchanged; otherwise
        // the file was replaced or restored, and nothing cached can be trusted.
        let pageSize = BatchStart.tailPageSize
        var page: [Event]
        if let prefetched = start.events {
            page = prefetched
        } else {
            page = try reads.tailEvents(after: known.seq == 0 ? 0 : known.seq - 1, limit: pageSize + 1)
        }
        if known.seq > 0 {
            guard page.first?.seq == known.seq, page.first?.hash == known.hash else {
                try forgetAll(head)
                return
            }
            page.removeFirst()
        }
        var foreign = 0
        // The receipts read with the lock follow the model's tree as it was then: only its first catch-up takes them.
        var receipts = start.receipts
        while let last = page.last {
            foreign += page.count
            // A very long tail (a bulk import): reading everything again is cheaper than invalidating.
            if foreign > 100_000 {
                try forgetAll(head)
                return
            }
            for event in page { versions.invalidate(event.stream) }
            try model.catchUp(page, receipts: receipts, reads)
            receipts = nil
            guard last.seq < head.seq else { break }
            page = try reads.tailEvents(after: last.seq, limit: pageSize)
        }
        knownHead = head
    }

    /// Forgets every cache, to read again what it needs, once the log still holds what this writer acknowledged.
    private func forgetAll(_ head: LogHead) throws(KuraError) {
        reset()
        try requireAcknowledgedEvents(in: head)
    }

    /// Refuses to write on a log that no longer holds the last event this writer answered for (an asynchronous
    /// standby promoted, a copy restored under a running node): its callers were told of commands that are gone,
    /// and the next events would take their sequence numbers, under receipts and checkpoints already published
    /// for the old ones. Every batch fails, as `chain_broken` (not retried; `/readyz` says so), until the event
    /// is back or the node is restarted after an operator has looked.
    private func requireAcknowledgedEvents(in head: LogHead) throws(KuraError) {
        guard let acknowledged = acknowledgedHead else { return }
        let lost = try Self.lost(acknowledged, from: head, reading: session.reads)
        guard lost else { return }
        throw KuraError(
            .chainBroken,
            "the log no longer holds event \(acknowledged.seq), which this node answered for (the log's head is "
                + "\(head.seq)): it writes nothing more until the event is back or it is restarted "
                + "(Docs/postgresql.md, \"A node that outlives its log\")")
    }

    /// Whether a log whose head is `head` lost `acknowledged`, an event answered for: it no longer holds that event
    /// with that hash.
    static func lost(_ acknowledged: LogHead, from head: LogHead, reading reads: any ReadSession) throws(KuraError)
        -> Bool
    {
        // An answer given on the empty log (a maintenance job, a refusal) promised nothing any log lacks.
        guard acknowledged.seq > 0, head != acknowledged else { return false }
        guard head.seq > acknowledged.seq,
            let kept = try reads.tailEvents(after: acknowledged.seq - 1, limit: 1).first
        else { return true }
        return kept.seq != acknowledged.seq || kept.hash != acknowledged.hash
    }

    /// Assertion mode: the model must agree with the rows it caches, and the stream versions with the log.
    ///
    /// The comparison holds the write lock and runs only if the log still ends where this writer left it: the
    /// batch's callers were answered before it, so another writer (a CLI, another node) may already have
    /// appended, and this writer's caches catch up with that only at its next batch. A database that went away
    /// meanwhile is no disagreement either: the next batch fails or catches up.
    private func assertState() {
        do throws(KuraError) {
            let start = try session.begin(after: nil)
            defer { session.rollback() }
            // Nor when another writer rebuilt the read models since: this one forgets its caches at its next batch.
            guard start.head == knownHead, start.readModelEpoch == knownEpoch else { return }
            var differences = try model.differences(session.reads)
            for (stream, version) in versions.entries {
                let stored = try session.reads.streamVersion(stream)
                if stored != (version ?? 0) {
                    differences.append("stream \(stream): writer has version \(version ?? 0), the log \(stored)")
                }
            }
            if !differences.isEmpty {
                fatalError(
                    "KURA_ASSERT_STATE: the writer's memory disagrees with the read models:\n"
                        + differences.prefix(20).joined(separator: "\n"))
            }
        } catch  where error.code == .storageUnavailable {
            return
        } catch {
            fatalError("KURA_ASSERT_STATE: cannot compare the writer's memory with the read models: \(error)")
        }
    }
}
