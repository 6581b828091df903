import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// `kura bench backend`: batches shaped like `POST /v1/escrows` written straight through a backend's writer
/// sessions, without the service or HTTP: what the ordering database itself carries, for SQLite and
/// PostgreSQL alike, with one writer or several competing for the write lock (several nodes).
struct BenchBackend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend",
        abstract: "Durable escrow-shaped batches through a backend's writer sessions (SQLite file or postgres://).",
        discussion: """
            Each command is one event (a 300-byte payload) and five rows: two new balances, a receipt, a Merkle \
            leaf node and an idempotency record; each batch also rewrites one hot row (the fees balance). \
            Writers are threads with their own sessions, as nodes would be: on PostgreSQL they take turns on \
            the advisory lock. The database must be new (a missing file, or an empty PostgreSQL database).

            Example: kura bench backend --db postgres://kura@127.0.0.1:5432/bench --writers 2 --batch 64
            """)

    @Option(help: "A new SQLite file or an empty PostgreSQL database URL.")
    var db: String
    @Option(help: "Writer sessions, each on its own thread and connection.")
    var writers: Int = 1
    @Option(help: "Commands per batch (a batch is one transaction and one durable commit).")
    var batch: Int = 64
    @Option(help: "Seconds to run.")
    var seconds: Double = 10

    func validate() throws {
        guard writers >= 1, batch >= 1, seconds > 0 else {
            throw ValidationError("--writers and --batch must be at least 1, --seconds above 0")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let location = try StorageLocation(db)
            let backend = try location.open(create: true)
            defer { backend.close() }
            let sessions = try (0..<writers).map { _ throws(KuraError) in try backend.makeWriterSession() }
            let results = Results()
            let deadline = Date().addingTimeInterval(seconds)
            let group = DispatchGroup()
            for (index, session) in sessions.enumerated() {
                group.enter()
                let box = SessionBox(session)
                let thread = Thread {
                    Self.loop(box.session, writer: index, batch: batch, until: deadline, into: results)
                    group.leave()
                }
                thread.start()
            }
            group.wait()
            let report = results.snapshot()
            if let failure = report.failure { throw failure }
            let latencies = report.latencies.sorted()
            func percentile(_ p: Double) -> Double {
                latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000
            }
            print(
                String(
                    format:
                        "%@, %d writer(s), batches of %d: %.0f commands/s, %.0f batches/s, batch p50 %.1f ms, p99 %.1f ms",
                    location.description, writers, batch, Double(report.commands) / seconds,
                    Double(latencies.count) / seconds, percentile(0.5), percentile(0.99)))
        }
    }

    /// Writes batches until `deadline`; records each batch's time from begin to durable commit.
    static func loop(_ session: any WriterSession, writer: Int, batch: Int, until deadline: Date, into results: Results)
    {
        let payload = JSONValue.string(String(repeating: "x", count: 300))
        var fees: Int64 = 0
        while Date() < deadline {
            let started = Date()
            do throws(KuraError) {
                let head = try session.begin()
                var events: [StoredEvent] = []
                var changes: [RowChange] = []
                var previous = head
                for _ in 0..<batch {
                    let seq = previous.seq + 1
                    let body: JSONValue = ["escrow": .string("esc_\(seq)"), "terms": payload]
                    let bytes: [UInt8]
                    do { bytes = try body.canonicalBytes() } catch { throw KuraError(.internalError, "\(error)") }
                    let event = Event(
                        seq: seq, stream: "escrow/esc_\(seq)", version: 1, type: "escrow.locked", payload: body,
                        canonicalPayload: bytes, at: Timestamp(milliseconds: 1_700_000_000_000 + Int64(seq)),
                        actor: "pty_bench\(writer)", commandId: "cmd-\(seq)", prevHash: previous.hash)
                    events.append(StoredEvent(event: event, canonicalPayload: bytes))
                    previous = LogHead(seq: seq, hash: event.hash)
                    changes.append(.balance(BalanceRow(account: "party/\(seq)/available", asset: "USDC", units: -100)))
                    changes.append(.balance(BalanceRow(account: "channel/\(seq)/held", asset: "USDC", units: 99)))
                    changes.append(
                        .receipt(
                            ReceiptRow(
                                index: seq - 1, seq: seq, kind: "escrow.locked", subject: "esc_\(seq)",
                                payer: PartyID(unchecked: "pty_a"), payee: PartyID(unchecked: "pty_b"),
                                json: Array(bytes.prefix(300)))))
                    // As the writer stores the receipt tree: a node per complete subtree of its lowest stored level.
                    let level = MerkleNode.lowestStoredLevel
                    if seq % (1 << level) == 0 {
                        changes.append(
                            .merkleNode(MerkleNode(level: level, index: seq >> level - 1, hash: event.hash)))
                    }
                    changes.append(
                        .idempotency(
                            IdempotencyRecord(
                                key: "bench-\(seq)", requestHash: event.hash, response: bytes, seq: seq)))
                    fees += 1
                }
                changes.append(.balance(BalanceRow(account: "fees", asset: "USDC", units: fees)))
                do throws(KuraError) {
                    try session.write(BatchWrite(events: events, changes: changes))
                    try session.commit()
                } catch {
                    session.rollback()
                    throw error
                }
                results.record(commands: batch, seconds: Date().timeIntervalSince(started))
            } catch {
                results.fail(error)
                return
            }
        }
    }

    final class SessionBox: @unchecked Sendable {
        let session: any WriterSession
        init(_ session: any WriterSession) { self.session = session }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var commands = 0
        private var latencies: [Double] = []
        private var failure: KuraError?

        func record(commands: Int, seconds: Double) {
            lock.lock()
            defer { lock.unlock() }
            self.commands += commands
            latencies.append(seconds)
        }

        func fail(_ error: KuraError) {
            lock.lock()
            defer { lock.unlock() }
            if failure == nil { failure = error }
        }

        func snapshot() -> (commands: Int, latencies: [Double], failure: KuraError?) {
            lock.lock()
            defer { lock.unlock() }
            return (commands, latencies, failure)
        }
    }
}
