import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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

        let outPath = dir.path("append-loop.stdout")
        let errPath = dir.path("append-loop.stderr")
        let child = try ChildProcess.spawn(
            binary.path, ["bench", "append-loop", "--db", db, "--writers", "8"], in: dir.url.path, stdoutPath: outPath,
            stderrPath: errPath)
        // Each acknowledgement is written with one write(2) straight to the file, so what the file holds
        // when the child dies is exactly what it acknowledged (a last line cut short is no acknowledgement).
        func output() -> String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

        // Wait for the first acknowledgement (the child is up and appending), then let it run a while.
        let start = Date()
        while !output().contains("\n") && Date().timeIntervalSince(start) < 20 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        let wasRunning = kill(child.pid, 0) == 0
        child.send(SIGKILL)
        let (status, signaled) = await child.wait()
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try #require(wasRunning, "append-loop exited on its own: \(stderr)")
        #expect(signaled)
        #expect(status == SIGKILL)

        var lines = output().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last newline: empty, or a line the kill cut short
        // Every complete line is "seq writer n"; a line cut short by the kill is no acknowledgement.
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
        let report = try await store.verify()
        #expect(report.isValid, "chain broken after SIGKILL: \(String(describing: report.failure))")
        let stored = try await allEvents(store)
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
        #expect(try await store.verify().isValid)
    }
}
