import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Collects a child's stdout lines from a pipe on a thread of its own, as they arrive.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var lines: [String] = []
    private var finished = false
    private var stopRequested = false
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `fd` until end of file, or until `stop()` and nothing more is ready.
    init(fd: Int32) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, 50)
                if ready > 0 {
                    let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        self.take(chunk[0..<count])
                        continue
                    }
                    if count < 0 && errno == EINTR { continue }
                    break  // end of file or an error
                }
                // Nothing ready: once the child is gone, everything it wrote has been read.
                if self.lock.withLock({ self.stopRequested }) { break }
            }
            self.lock.withLock { self.finished = true }
            self.done.signal()
        }
        thread.start()
    }

    private func take(_ bytes: ArraySlice<UInt8>) {
        lock.withLock {
            buffer += bytes
            while let newline = buffer.firstIndex(of: 0x0A) {
                lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
        }
    }

    /// Complete lines so far.
    var snapshot: [String] { lock.withLock { lines } }

    /// Bytes after the last newline (a line cut short by the kill).
    var partial: [UInt8] { lock.withLock { buffer } }

    /// Asks the reader to finish once the pipe is drained, and waits for it.
    func stop() async {
        lock.withLock { stopRequested = true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                continuation.resume()
            }
        }
    }
}

/// The crash test of issue 3: a real `kura` process appends as fast as it can and prints each
/// acknowledged seq; it is killed with SIGKILL mid-run; everything it acknowledged must be in the
/// file, and the chain must verify.
@Suite(.serialized) struct CrashTests {
    struct Ack: Hashable {
        let seq: UInt64
        let writer: Int
        let n: Int
    }

    @Test(
        "SIGKILL mid-append: every acknowledged seq survives and the chain verifies",
        arguments: [0.3, 0.7, 1.2, 0.05, 0.5, 1.0])
    func killMidRun(delay: Double) async throws {
        let binary = try KuraBinary.require()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("crash.sqlite")
        let initialised = try await runKura(["init", "--db", db], in: dir)
        try #require(initialised.status == 0, "kura init failed: \(initialised)")

        let process = Process()
        process.executableURL = binary
        process.arguments = ["bench", "append-loop", "--db", db, "--writers", "8"]
        process.currentDirectoryURL = dir.url
        let pipe = Pipe()
        process.standardOutput = pipe
        let errPath = dir.path("append-loop.stderr")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        let terminated = Latch()
        process.terminationHandler = { _ in terminated.open() }
        try process.run()
        try? pipe.fileHandleForWriting.close()
        let collector = LineCollector(fd: pipe.fileHandleForReading.fileDescriptor)

        // Wait for the first acknowledgement (the child is up and appending), then let it run a while.
        let start = Date()
        while collector.snapshot.isEmpty && process.isRunning && Date().timeIntervalSince(start) < 20 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        await terminated.wait()
        await collector.stop()
        try? errHandle.close()
        try? pipe.fileHandleForReading.close()
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try #require(wasRunning, "append-loop exited on its own: \(stderr)")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)

        // Every complete line is "seq writer n"; a line cut short by the kill is no acknowledgement.
        let lines = collector.snapshot
        var acks: [Ack] = []
        for line in lines {
            let fields = line.split(separator: " ")
            let parsed = fields.count == 3 ? (UInt64(fields[0]), Int(fields[1]), Int(fields[2])) : (nil, nil, nil)
            guard let seq = parsed.0, let writer = parsed.1, let n = parsed.2 else {
                Issue.record("unexpected line from append-loop: \(line)")
                continue
            }
            acks.append(Ack(seq: seq, writer: writer, n: n))
        }
        try #require(acks.count > 0, "no acknowledged appends before the kill; stderr: \(stderr)")
        #expect(Set(acks.map(\.seq)).count == acks.count, "a seq was acknowledged twice")

        // Reopen the file as the next process would.
        let store = try openStore(db, create: false)
        defer { store.close() }
        let report = try store.verify()
        #expect(report.isValid, "chain broken after SIGKILL: \(String(describing: report.failure))")
        let stored = try allEvents(store)
        #expect(stored.map(\.seq) == (0..<UInt64(stored.count)).map { $0 + 1 })
        let maxAck = try #require(acks.map(\.seq).max())
        #expect(UInt64(stored.count) >= maxAck)
        let bySeq = Dictionary(uniqueKeysWithValues: stored.map { ($0.seq, $0) })
        var missing = 0
        for ack in acks {
            guard let event = bySeq[ack.seq] else {
                missing += 1
                continue
            }
            // The acknowledged seq holds that writer's n-th event, not someone else's.
            #expect(event.stream == "crash/\(ack.writer)", "seq \(ack.seq)")
            #expect(event.payload["n"]?.int64Value == Int64(ack.n), "seq \(ack.seq)")
            #expect(event.version == UInt64(ack.n), "seq \(ack.seq)")
        }
        #expect(missing == 0, "\(missing) of \(acks.count) acknowledged events are missing")

        // The file is still a working log: the next append continues the chain.
        let next = try await appendOne(store, stream: "after-crash")
        #expect(next.seq == UInt64(stored.count) + 1)
        #expect(next.prevHash == (stored.last?.hash ?? Event.genesisHash))
        #expect(try store.verify().isValid)
    }
}
