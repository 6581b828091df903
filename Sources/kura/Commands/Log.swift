import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// `kura log …`: the event log itself.
struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and verify the hash-chained event log.",
        subcommands: [Verify.self, Tail.self, CheckpointCommand.self, Consistency.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-walk the whole chain: numbering, versions, links and every hash.",
            discussion: """
                Exits 0 with a summary, or 65 naming the first bad seq and why. On a terminal, progress with \
                a rate and an estimate goes to stderr.

                Example: kura log verify --db kura.sqlite
                """)

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let store = try database.openStore()
                defer { store.close() }
                let progress = ProgressReporter(
                    "log verify", unit: .count("events"), total: try await store.head().seq, json: json)
                let report = try await store.verify { progress.update(done: $0) }
                progress.update(done: report.count)
                progress.finish()
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
                    print(
                        "ok: \(report.count) events, chain intact, head \(report.head.seq) \(Hex.encode(report.head.hash))"
                    )
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
                let head = try await store.head()
                let events = try await store.events(after: head.seq > UInt64(n) ? head.seq - UInt64(n) : 0, limit: n)
                for event in events {
                    if json {
                        printJSON(event.json)
                    } else {
                        let hash = Hex.encode(event.hash.prefix(8))
                        print(
                            "\(event.seq)\t\(event.at)\t\(event.type)\t\(event.stream)@\(event.version)\t\(event.actor)\t\(hash)"
                        )
                    }
                }
            }
        }
    }

    struct CheckpointCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the signed checkpoint (C2SP note) of the receipt log at its current size.",
            discussion: "Example: kura log checkpoint --db kura.sqlite > cp.txt")
        @OptionGroup var target: TargetOptions

        func run() async throws {
            try await withBackend(target) { backend in
                FileHandle.standardOutput.write(Data(try await backend.checkpointNote().utf8))
            }
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove that the log at size OLD is a prefix of the log at size NEW.",
            discussion: """
                OLD and NEW are tree sizes or checkpoint files. With two checkpoint files and --key, the proof \
                is also checked offline against both signed roots (exit 0 consistent, 65 not).

                Example: kura log consistency old.txt new.txt --key kura.vkey --server http://127.0.0.1:8402 --api-key $K
                """)
        @Argument var old: String
        @Argument var new: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Verifier key (file or text) to check the proof against checkpoint files.") var key: String?

        func run() async throws {
            try await withBackend(target) { backend in
                let verifier = try key.map { try VerifierKeyArgument.load($0) }
                let oldPoint = try Self.point(old, verifier)
                let newPoint = try Self.point(new, verifier)
                let proof = try await backend.consistency(from: oldPoint.size, to: newPoint.size)
                guard let oldRoot = oldPoint.root, let newRoot = newPoint.root else {
                    return printJSON(try JSONValue(encoding: proof))
                }
                let hashes = proof.hashes.compactMap(Base64.decode)
                guard
                    MerkleVerifier.verifyConsistency(
                        oldSize: oldPoint.size, newSize: newPoint.size, oldRoot: oldRoot, newRoot: newRoot,
                        proof: hashes)
                else { throw KuraError(.verificationFailed, "the checkpoints are NOT consistent") }
                print("ok: size \(oldPoint.size) is a prefix of size \(newPoint.size)")
            }
        }

        /// A tree size, or a checkpoint file (opened with the key when one is given).
        static func point(_ argument: String, _ verifier: NoteVerifier?) throws -> (size: UInt64, root: [UInt8]?) {
            if let size = UInt64(argument) { return (size, nil) }
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw KuraError(.notFound, "\(argument) is neither a tree size nor a readable checkpoint file")
            }
            let note = String(decoding: data, as: UTF8.self)
            do {
                if let verifier {
                    let checkpoint = try Checkpoint.open(note: note, verifier: verifier)
                    return (checkpoint.size, checkpoint.rootHash)
                }
                let body = try SignedNote(parsing: note).text
                return (try Checkpoint.parse(body).size, nil)
            } catch let error as CheckpointError {
                throw KuraError(.verificationFailed, "\(argument): \(error)")
            } catch {
                throw KuraError(.verificationFailed, "\(argument): \(error)")
            }
        }
    }
}
