import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

@Suite struct ConcurrencyTests {
    /// What one writer task saw acknowledged.
    struct Acknowledged: Sendable {
        var events: [Event] = []
        var conflicts = 0
    }

    /// Reads the stream's version and appends expecting it; nil when another writer got there first.
    static func appendIfCurrent(_ store: EventStore, stream: String, payload: JSONValue, commandId: String)
        async throws -> Event?
    {
        let version = await UInt64(try store.events(inStream: stream).count)
        do {
            return try await appendOne(
                store, stream: stream, payload: payload, expectedVersion: version, commandId: commandId)
        } catch let error where error.code == .versionConflict {
            return nil
        }
    }

    @Test(
        "64 tasks appending to random streams at once: seq 1…N, versions 1…k per stream, every ack present",
        arguments: [0x4B55_5241 as UInt64])
    func manyWriters(seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), durable: true, readers: 4)
        defer { store.close() }
        let tasks = 64
        let commandsPerTask = 45  // about 3,000 events in all, some commands carry two
        let streams = 24

        let results = try await withThrowingTaskGroup(of: Acknowledged.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var random = SplitMix64(seed: seed &+ UInt64(task))
                    var seen = Acknowledged()
                    for n in 0..<commandsPerTask {
                        let stream = "test/\(Int.random(in: 0..<streams, using: &random))"
                        let payload: JSONValue = ["task": .number(Double(task)), "n": .number(Double(n))]
                        switch random.next() % 8 {
                        case 0:
                            // Optimistic: read the version, expect it, retry on conflict.
                            while true {
                                if let event = try await Self.appendIfCurrent(
                                    store, stream: stream, payload: payload, commandId: "t\(task)-\(n)")
                                {
                                    seen.events.append(event)
                                    break
                                }
                                seen.conflicts += 1
                            }
                        case 1:
                            // Two events in one command, to two streams.
                            let other = "test/\(Int.random(in: 0..<streams, using: &random))"
                            let outcome = try await store.append(
                                [
                                    NewEvent(stream: stream, type: "test.pair", payload: payload),
                                    NewEvent(stream: other, type: "test.pair", payload: payload),
                                ], actor: "pty_t\(task)", commandId: "t\(task)-\(n)",
                                at: Timestamp(milliseconds: Int64(n)), idempotency: nil, response: [])
                            // One command's events are adjacent in the log.
                            #expect(
                                outcome.events.map(\.seq) == (outcome.events.first.map { [$0.seq, $0.seq + 1] } ?? []))
                            seen.events += outcome.events
                        default:
                            seen.events.append(
                                try await appendOne(store, stream: stream, payload: payload, commandId: "t\(task)-\(n)")
                            )
                        }
                    }
                    return seen
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        let acknowledged = results.flatMap(\.events)
        #expect(acknowledged.count >= tasks * commandsPerTask)
        let stored = try await allEvents(store)

        // Gapless global order, exactly as many events as were acknowledged.
        #expect(stored.count == acknowledged.count)
        #expect(stored.map(\.seq) == Array(1...UInt64(stored.count)))
        #expect(try await store.head() == LogHead(seq: UInt64(stored.count), hash: stored.last?.hash ?? []))

        // Each stream's versions are 1…k, in seq order.
        var byStream: [String: [Event]] = [:]
        for event in stored { byStream[event.stream, default: []].append(event) }
        for (stream, events) in byStream {
            #expect(events.map(\.version) == Array(1...UInt64(events.count)), "stream \(stream)")
            #expect(try await store.events(inStream: stream) == events)
        }

        // Every acknowledged append is present, unchanged, at the seq it was given.
        let bySeq = Dictionary(uniqueKeysWithValues: stored.map { ($0.seq, $0) })
        for event in acknowledged {
            #expect(bySeq[event.seq] == event, "acknowledged seq \(event.seq) differs or is missing")
        }
        // Each task's own acknowledgements come back in increasing seq.
        for result in results {
            #expect(result.events.map(\.seq) == result.events.map(\.seq).sorted())
        }

        let report = try await store.verify()
        #expect(report.isValid)
        #expect(report.count == UInt64(stored.count))
        #expect(report.head.hash == stored.last?.hash)
    }
}
