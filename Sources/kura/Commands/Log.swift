import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// `kura log …`: the event log itself.
struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and verify the hash-chained event log.",
        subcommands: [Verify.self, Tail.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-walk the whole chain: numbering, versions, links and every hash.",
            discussion: """
                Exits 0 with a summary, or 65 naming the first bad seq and why.

                Example: kura log verify --db kura.sqlite
                """)

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let store = try database.openStore()
                defer { store.close() }
                let report = try store.verify()
                if let failure = report.failure {
                    if json {
                        printJSON([
                            "valid": false, "verified": .number(Double(report.count)),
                            "badSeq": .number(Double(failure.seq)), "reason": .string(failure.reason),
                        ])
                    }
                    throw KuraError(.chainBroken, "seq \(failure.seq): \(failure.reason)")
                }
                if json {
                    printJSON([
                        "valid": true, "events": .number(Double(report.count)),
                        "headSeq": .number(Double(report.head.seq)), "headHash": .string(Hex.encode(report.head.hash)),
                    ])
                } else {
                    print("ok: \(report.count) events, chain intact, head \(report.head.seq) \(Hex.encode(report.head.hash))")
                }
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the newest events.",
            discussion: "Example: kura log tail --db kura.sqlite -n 5 --json")

        @OptionGroup var database: DatabaseOptions
        @Option(name: .short, help: "How many events.")
        var n: Int = 10
        @Flag(help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            guard n > 0, n <= 100_000 else { throw ValidationError("-n must be between 1 and 100000") }
        }

        func run() async throws {
            try await reportingErrors {
                let store = try database.openStore()
                defer { store.close() }
                let head = try store.head()
                let events = try store.events(after: head.seq > UInt64(n) ? head.seq - UInt64(n) : 0, limit: n)
                for event in events {
                    if json {
                        printJSON(event.json)
                    } else {
                        let hash = Hex.encode(event.hash.prefix(8))
                        print("\(event.seq)\t\(event.at)\t\(event.type)\t\(event.stream)@\(event.version)\t\(event.actor)\t\(hash)")
                    }
                }
            }
        }
    }
}
