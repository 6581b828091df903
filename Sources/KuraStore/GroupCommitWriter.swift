import Foundation
import KuraCore

/// The single writer. Commands queue up while the previous batch commits; the next batch takes them all
/// into one transaction and one fsync. Each command runs inside its own savepoint, so one that fails
/// is rolled back alone and never aborts its neighbours.
final class GroupCommitWriter: @unchecked Sendable {
    typealias Work = (inout WriteTransaction) -> Result<any Sendable, KuraError>
    typealias Completion = @Sendable (Result<any Sendable, KuraError>) -> Void

    private struct Item {
        let work: Work
        let completion: Completion
    }

    private let connection: SQLiteConnection
    private let configuration: SQLiteEventStore.Configuration
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var stopped = false
    private var lastBatchSize = 0
    private var submittedCount = 0
    private var thread: Thread?

    init(connection: SQLiteConnection, configuration: SQLiteEventStore.Configuration) {
        self.connection = connection
        self.configuration = configuration
        // Strong: the thread owns the writer until it stops. With `unowned`, a store released before the
        // thread started (e.g. an init that threw after creating the writer) crashed the process.
        let thread = Thread { [self] in self.run() }
        thread.name = "kura-writer"
        thread.stackSize = 4 << 20
        self.thread = thread
        thread.start()
    }

    func submit(_ work: @escaping Work, completion: @escaping Completion) {
        condition.lock()
        if stopped {
            condition.unlock()
            completion(.failure(KuraError(.storageFailure, "the store is closed")))
            return
        }
        queue.append(Item(work: work, completion: completion))
        submittedCount += 1
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

    /// Finishes queued work, then ends the thread and closes the connection.
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
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let take = min(queue.count, configuration.maxBatch)
            let batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            lastBatchSize = take
            let depth = queue.count
            condition.unlock()
            configuration.observer?.queueDepth(depth)
            execute(batch)
        }
    }

    private func execute(_ batch: [Item]) {
        var results: [Result<any Sendable, KuraError>] = []
        results.reserveCapacity(batch.count)
        let started = DispatchTime.now().uptimeNanoseconds
        var events = 0
        do throws(KuraError) {
            try connection.execute("BEGIN IMMEDIATE")
            // Catch-up: another process may have appended since our last batch; the head is re-read
            // from the file inside the write lock, so the chain always continues from the true head.
            var tx = WriteTransaction(
                db: connection, head: try SQLiteEventStore.head(connection),
                projectors: configuration.projectors)
            for item in batch {
                try connection.run("SAVEPOINT command")
                let headBefore = tx.head
                let result = item.work(&tx)
                if case .failure = result {
                    try connection.run("ROLLBACK TO command")
                    tx.head = headBefore
                }
                try connection.run("RELEASE command")
                events += Int(tx.head.seq - headBefore.seq)
                results.append(result)
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            configuration.observer?.batchFailed(commands: batch.count, code: error.code)
            // Nothing of this batch is durable: every caller hears the failure, none is acknowledged.
            for item in batch { item.completion(.failure(error)) }
            return
        }
        configuration.observer?.batchCommitted(
            commands: batch.count, events: events,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        for (item, result) in zip(batch, results) { item.completion(result) }
    }
}
