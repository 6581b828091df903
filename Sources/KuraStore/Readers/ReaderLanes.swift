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
    private let configuration: Configuration

    private final class Owned: @unchecked Sendable {
        var session: (any ReadSession)?
        init(_ session: any ReadSession) { self.session = session }
    }

    /// Starts every lane's threads, named `name-lane-index` (`name` of at most 7 bytes); `open` makes one
    /// session (with its own connection) per reader thread.
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
                // Linux keeps at most 15 bytes of a thread's name (``ThreadName`` cuts a longer one): "kura-rd-stan-0".
                sessions.append((queue, try open(), "\(name)-\(lane.rawValue.prefix(4))-\(index)"))
            }
        }
        self.queues = queues
        self.configuration = configuration
        for (queue, session, threadName) in sessions {
            queue.running += 1
            // The session moves to its thread and is used by that thread only.
            let owned = Owned(session)
            let thread = Thread {
                ThreadName.setCurrent(threadName)
                Self.run(queue, owned)
            }
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

    /// Runs `body` once on every reader's session, for diagnostics and tests (the state of each connection).
    /// The reads of a lane wait for one another before they run, so that each reader thread takes exactly one.
    public func everyReader<T: Sendable>(
        _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> [T] {
        var reads: [(ReadLane, Rendezvous)] = []
        for lane in ReadLane.allCases {
            let rendezvous = Rendezvous(count: max(1, configuration.lane(lane).readers))
            for _ in 0..<rendezvous.count { reads.append((lane, rendezvous)) }
        }
        let results = await withTaskGroup(of: (Int, Result<T, KuraError>).self) { group in
            for (index, (lane, rendezvous)) in reads.enumerated() {
                group.addTask {
                    do throws(KuraError) {
                        let value = try await self.read(lane) { session throws(KuraError) -> T in
                            rendezvous.arrive()
                            return try body(session)
                        }
                        return (index, .success(value))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results: [(Int, Result<T, KuraError>)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return try results.map { result throws(KuraError) in try result.get() }
    }

    /// Holds each of `count` readers until all have arrived (``everyReader(_:)``).
    private final class Rendezvous: @unchecked Sendable {
        let count: Int
        private var arrived = 0
        private let condition = NSCondition()

        init(count: Int) { self.count = count }

        func arrive() {
            condition.lock()
            arrived += 1
            condition.broadcast()
            while arrived < count { condition.wait() }
            condition.unlock()
        }
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

    /// Serves `owned`'s session until the lane stops, then releases it before counting the thread out: the
    /// connection is closed when ``stop()`` returns. (Released with the thread instead, it closed a moment
    /// later, and its last checkpoint could hold the file's lock against whoever opened it next.)
    private static func run(_ queue: Queue, _ owned: Owned) {
        serve(queue, owned.session!)
        owned.session = nil
        queue.condition.lock()
        queue.running -= 1
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    private static func serve(_ queue: Queue, _ session: any ReadSession) {
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
        queue.condition.unlock()
    }
}
