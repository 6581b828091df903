import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// `kura bench …`: measurements beside a baseline taken in the same run. Never a pass/fail test.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the event store beside a raw SQLite baseline (writes temporary files).",
        subcommands: [
            StoreBench.self, VerifyBench.self, ReceiptsBench.self, AppendLoop.self, ReputationBench.self,
            BenchChannels.self, BenchSolana.self, BenchBackend.self, BenchCanonical.self,
        ])

    struct StoreBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "Raw batched SQLite inserts of 300-byte rows, then durable appends with 1, 16 and 64 writers.",
            discussion: "Example: kura bench store --events 200000")

        @Option(help: "Events per measurement.")
        var events: Int = 100_000
        @Option(help: "Directory for the temporary databases.")
        var dir: String = NSTemporaryDirectory()

        func run() async throws {
            try await reportingErrors {
                let payload = String(repeating: "x", count: 300)
                let raw = try BenchSupport.rawBaseline(dir: dir, rows: events, payload: payload)
                print(String(format: "raw sqlite batched inserts (synchronous=FULL, 1000/tx): %10.0f rows/s", raw))
                for writers in [1, 16, 64] {
                    let count = writers == 1 ? min(events, 5_000) : events
                    let rate = try await BenchSupport.appends(
                        dir: dir, events: count, writers: writers, payload: payload)
                    print(
                        String(
                            format:
                                "event store durable appends, %2d writers:               %10.0f events/s (%.0f%% of raw)",
                            writers, rate, 100 * rate / raw))
                }
            }
        }
    }

    struct VerifyBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Fill a log with N events, then time `log verify` over it and report peak memory.",
            discussion: "Example: kura bench verify --events 1000000")

        @Option(help: "Events in the log.")
        var events: Int = 1_000_000
        @Option(help: "Directory for the temporary database.")
        var dir: String = NSTemporaryDirectory()

        func run() async throws {
            try await reportingErrors {
                let path = BenchSupport.freshPath(dir: dir, name: "verify")
                defer { BenchSupport.remove(path) }
                let store = try BenchSupport.openLog(path, durable: false, maxBatch: 4096)
                let payload: JSONValue = ["memo": .string(String(repeating: "x", count: 250)), "n": 1]
                let fillStart = Date()
                try await BenchSupport.fill(store, events: events, payload: payload)
                let fill = Date().timeIntervalSince(fillStart)
                let rssBefore = BenchSupport.peakRSSMiB()
                let start = Date()
                let report = try await store.verify()
                let seconds = Date().timeIntervalSince(start)
                store.close()
                print(
                    String(
                        format: "filled %d events in %.1f s (%.0f events/s, non-durable)", events, fill,
                        Double(events) / fill))
                print(
                    String(
                        format:
                            "log verify: %llu events in %.2f s = %.0f events/s; peak RSS %.0f MiB before, %.0f MiB after",
                        report.count, seconds, Double(report.count) / seconds, rssBefore, BenchSupport.peakRSSMiB()))
                guard report.isValid else { throw KuraError(.chainBroken, "benchmark log did not verify") }
            }
        }
    }

    /// Appends forever, printing each acknowledged seq: the crash test kills it with SIGKILL.
    struct AppendLoop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append-loop", abstract: "Append until killed, printing each acknowledged seq.",
            shouldDisplay: false)

        @OptionGroup var database: DatabaseOptions
        @Option var writers: Int = 8

        func run() async throws {
            try await reportingErrors {
                let store = try database.openStore()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            var n = 0
                            while true {
                                n += 1
                                let event = NewEvent(
                                    stream: "crash/\(writer)", type: "test.appended", payload: ["n": .number(Double(n))]
                                )
                                let outcome = try await store.append(
                                    [event], actor: "bench", commandId: "c\(writer)-\(n)",
                                    at: Timestamp(milliseconds: 0), idempotency: nil, response: [])
                                let line = "\(outcome.events[0].seq) \(writer) \(n)\n"
                                FileHandle.standardOutput.write(Data(line.utf8))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }
}

enum BenchSupport {
    static func freshPath(dir: String, name: String) -> String {
        let path = (dir as NSString).appendingPathComponent("kura-bench-\(name)-\(getpid()).sqlite")
        remove(path)
        return path
    }

    static func remove(_ path: String) {
        StorageLocation.removeSQLiteFiles(at: path)
    }

    /// Plain SQLite: one table, 300-byte rows, 1000 rows per transaction, WAL, synchronous=FULL.
    static func rawBaseline(dir: String, rows: Int, payload: String) throws(KuraError) -> Double {
        let path = freshPath(dir: dir, name: "raw")
        defer { remove(path) }
        let db = try SQLiteConnection(path: path, create: true)
        try db.execute(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
        )
        let start = Date()
        var id: Int64 = 0
        while id < Int64(rows) {
            try db.execute("BEGIN")
            for _ in 0..<1000 {
                id += 1
                try db.run("INSERT INTO t(id, body) VALUES (?, ?)", .integer(id), .text(payload))
            }
            try db.execute("COMMIT")
        }
        return Double(id) / Date().timeIntervalSince(start)
    }

    static func appends(dir: String, events: Int, writers: Int, payload: String) async throws(KuraError) -> Double {
        let path = freshPath(dir: dir, name: "append\(writers)")
        defer { remove(path) }
        let store = try openLog(path, durable: true)
        defer { store.close() }
        let perWriter = events / writers
        let start = Date()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for n in 0..<perWriter {
                            let event = NewEvent(
                                stream: "bench/\(writer)", type: "bench.appended", payload: ["body": .string(payload)])
                            _ = try await store.append(
                                [event], actor: "bench", commandId: "w\(writer)-\(n)", at: Timestamp(milliseconds: 0),
                                idempotency: nil, response: [])
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch let error as KuraError {
            throw error
        } catch {
            throw KuraError(.internalError, "\(error)")
        }
        return Double(perWriter * writers) / Date().timeIntervalSince(start)
    }

    /// A fresh log (no read models) at `path`.
    static func openLog(_ path: String, durable: Bool, maxBatch: Int = 1024) throws(KuraError) -> EventStore {
        let backend = try SQLiteBackend(.init(path: path, create: true, durable: durable))
        do { return try EventStore(backend: backend, configuration: WriterConfiguration(maxBatch: maxBatch)) } catch {
            backend.close()
            throw error
        }
    }

    static func fill(_ store: EventStore, events: Int, payload: JSONValue) async throws(KuraError) {
        let chunk = 10_000
        var done = 0
        while done < events {
            let take = min(chunk, events - done)
            let base = done
            _ = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Int in
                for i in 0..<take {
                    try tx.append(
                        NewEvent(stream: "fill/\((base + i) % 1000)", type: "bench.filled", payload: payload),
                        actor: "bench", commandId: "fill-\(base + i)", at: Timestamp(milliseconds: Int64(base + i)))
                }
                return take
            }
            done += take
        }
    }

    /// CPU time used by this process so far (user + system, all threads), in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
