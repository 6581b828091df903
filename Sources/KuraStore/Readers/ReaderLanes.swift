import Foundation
import KuraCore

/// Reader threads with their own connections, grouped in ``ReadLane``s, for a backend's
/// ``StorageBackend/read(_:_:)``. A read is queued on its lane and the caller suspends on a continuation; a
/// reader thread runs it on its connection and resumes the caller. No Swift cooperative thread ever waits for
/// a connection, a lock held across I/O, or the database.
///
/// Generic over the backend's session type, so the PostgreSQL backend uses it as it is.
public final class ReaderLanes: @unchecked Sendable {
    /// How many reader threads (each with its own connection) a lane has, and how many reads may wait.
    public struct Lane: Sendable {
        /// Reader threads, each with its own connection.
        public var readers: Int
        /// Reads that may wait before the lane refuses with `overloaded`; nil: unbounded.
        public var queueLimit: Int?

        public init(readers: Int, queueLimit: Int? = nil) {
            self.readers = readers
            self.queueLimit = queueLimit
        }
    }

    /// The lanes' sizes.
    public struct Configuration: Sendable {
        public var auth = Lane(readers: 1)
        public var `public` = Lane(readers: 1, queueLimit: 256)
        public var standard = Lane(readers: 2)

        public init() {}

        /// A configuration with `readers` standard readers and one auth and one public reader.
        public init(standardReaders readers: Int) { standard.readers = max(1, readers) }

        func lane(_ lane: ReadLane) -> Lane {
            switch lane {
            case .auth: auth
            case .public: self.public
            case .standard: standard
            }
        }
    }

    typealias Job = (any ReadSession) -> Void

    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [Job] = []
        var head = 0
        var stopped = false
        var running = 0
        let limit: Int?

        init(limit: Int?) { self.limit = limit }

        var waiting: Int { jobs.count - head }
    }

    private let queues: [ReadLane: Queue]

    private final class Owned: @unchecked Sendable {
        let session: any ReadSession
        init(_ session: any ReadSession) { self.session = session }
    }

    /// Starts every lane's threads; `open` makes one session (with its own connection) per reader thread.
    /// Connections are opened here, on the caller's thread, so that a failure is reported at once.
    public init(
        _ configuration: Configuration, name: String, open: () throws(KuraError) -> any ReadSession
    ) throws(KuraError) {
        var queues: [ReadLane: Queue] = [:]
        var sessions: [(Queue, any ReadSession, String)] = []
        for lane in ReadLane.allCases {
            let spec = configuration.lane(lane)
            let queue = Queue(limit: spec.queueLimit)
            queues[lane] = queue
            for index in 0..<max(1, spec.readers) {
                sessions.append((queue, try open(), "\(name)-\(lane.rawValue)-\(index)"))
            }
        }
        self.queues = queues
        for (queue, session, threadName) in sessions {
            queue.running += 1
            // The session moves to its thread and is used by that thread only.
            let owned = Owned(session)
            let thread = Thread { Self.run(queue, owned.session) }
            thread.name = threadName
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { stop() }

    /// Runs `body` on a reader of `lane` and returns its answer.
    public func read<T: Sendable>(
        _ lane: ReadLane, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        let queue = queues[lane]!
        let result: Result<T, KuraError> = await withCheckedContinuation { continuation in
            queue.condition.lock()
            if queue.stopped {
                queue.condition.unlock()
                continuation.resume(returning: .failure(KuraError(.storageFailure, "the store is closed")))
                return
            }
            if let limit = queue.limit, queue.waiting >= limit {
                queue.condition.unlock()
                continuation.resume(
                    returning: .failure(KuraError(.overloaded, "too many \(lane.rawValue) reads are waiting")))
                return
            }
            queue.jobs.append { session in
                do throws(KuraError) {
                    continuation.resume(returning: .success(try body(session)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            queue.condition.signal()
            queue.condition.unlock()
        }
        return try result.get()
    }

    /// Reads waiting on `lane` (for metrics and tests).
    public func waiting(_ lane: ReadLane) -> Int {
        let queue = queues[lane]!
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.waiting
    }

    /// Lets the readers finish the queued reads, then ends their threads (and so their connections).
    public func stop() {
        for queue in queues.values {
            queue.condition.lock()
            queue.stopped = true
            queue.condition.broadcast()
            while queue.running > 0 { queue.condition.wait() }
            queue.condition.unlock()
        }
    }

    private static func run(_ queue: Queue, _ session: any ReadSession) {
        queue.condition.lock()
        while true {
            while queue.waiting == 0 && !queue.stopped { queue.condition.wait() }
            if queue.waiting == 0 && queue.stopped { break }
            let job = queue.jobs[queue.head]
            queue.head += 1
            if queue.head > 1024 && queue.head * 2 > queue.jobs.count {
                queue.jobs.removeFirst(queue.head)
                queue.head = 0
            }
            queue.condition.unlock()
            job(session)
            queue.condition.lock()
        }
        queue.running -= 1
        queue.condition.broadcast()
        queue.condition.unlock()
        // The session (and its connection) is released with this thread's last reference.
        _ = session
    }
}
