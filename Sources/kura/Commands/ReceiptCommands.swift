import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura receipts …`: trust receipts and their offline verification.
struct ReceiptCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts", abstract: "List, show, bundle and verify trust receipts.",
        subcommands: [List.self, Show.self, Bundle.self, Verify.self, Export.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List receipts in log order.",
            discussion: "Example: kura receipts list --party pty_… --db kura.sqlite")
        @OptionGroup var target: TargetOptions
        @Option(help: "Only receipts where this party pays or is paid.") var party: String?
        @Option(help: "Only this kind, e.g. escrow.released.") var kind: String?
        @Option(help: "Page cursor from a previous answer.") var cursor: String?
        @Option(help: "Page size, 1-1000.") var limit: Int = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let query = ReceiptListQuery(
                    party: try party.map { try PartyID(validating: $0) }, kind: kind, cursor: cursor, limit: limit)
                let page = try await backend.perform(KuraAPI.listReceipts, query: query)
                if json { return try printEncodable(page) }
                printTable(
                    ["index", "kind", "subject", "payer", "payee", "amount", "outcome"],
                    page.items.map {
                        [
                            "\($0.index)", $0.kind, $0.subject, $0.payer.rawValue, $0.payee.rawValue,
                            "\($0.amount) \($0.asset)", $0.outcome,
                        ]
                    })
                if let next = page.nextCursor { print("more: --cursor \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one receipt's canonical JSON (its leaf bytes).",
            discussion: "Example: kura receipts show 41 --db kura.sqlite")
        @Argument var index: UInt64
        @OptionGroup var target: TargetOptions
        func run() async throws {
            try await withBackend(target) { backend in
                try printEncodable(try await backend.perform(KuraAPI.showReceipt, at: ReceiptIndex(index)))
            }
        }
    }

    struct Bundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the offline-verifiable bundle of a receipt: receipt, inclusion proof, signed checkpoint.",
            discussion: "Example: kura receipts bundle 41 --out r41.json --server http://127.0.0.1:8402 --api-key $KEY")
        @Argument var index: UInt64
        @OptionGroup var target: TargetOptions
        @Option(help: "Prove against the checkpoint at this tree size (default: the current size).") var size: UInt64?
        @Option(help: "Write to this file instead of stdout.") var out: String?
        func run() async throws {
            try await withBackend(target) { backend in
                let bundle = try await backend.bundle(index, size: size)
                guard let out else { return printJSON(bundle) }
                guard FileManager.default.createFile(atPath: out, contents: Data(try bundle.canonicalBytes() + [0x0A]))
                else {
                    throw KuraError(.invalidRequest, "cannot write \(out)")
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify receipt bundles fully offline, with Kura's verifier key only.",
            discussion: """
                Checks the checkpoint's signature and key name, the size, the leaf index and the inclusion proof, \
                and that no two bundles are signed for one tree size with different roots. Exits 0 with a summary, \
                or 65 naming the bundle and the failed check (signature, key name, size, leaf, proof, malformed, \
                split view).

                Example: kura receipts verify r41.json --key kura.vkey
                """)
        @Argument(help: "Bundle files.") var bundles: [String]
        @Option(help: "A file holding the verifier key, or the key text itself.") var key: String

        func validate() throws {
            guard !bundles.isEmpty else { throw ValidationError("give at least one bundle file") }
        }

        func run() async throws {
            try await reportingErrors {
                let verifier = try VerifierKeyArgument.load(key)
                var cache = CheckpointCache(verifier: verifier)
                var last: (UInt64, [UInt8])?
                // Every root signed for each tree size so far, and the bundle it came in: two roots for one size is
                // Kura's own signature on two histories (a split view).
                var signedRoots: [UInt64: (root: [UInt8], path: String)] = [:]
                for path in bundles {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw KuraError(.notFound, "cannot read \(path)")
                    }
                    let json: JSONValue
                    do throws(JSONError) { json = try JSONValue.parse([UInt8](data)) } catch {
                        throw KuraError(.verificationFailed, "\(path): malformed: not JSON (\(error.reason))")
                    }
                    switch ReceiptBundle.verify(bundleJSON: json, cache: &cache) {
                    case .valid(_, let size, let root):
                        if let earlier = signedRoots[size], earlier.root != root {
                            throw KuraError(
                                .verificationFailed,
                                "\(path): split view: tree size \(size) is signed with root \(Base64.encode(root)) here "
                                    + "and \(Base64.encode(earlier.root)) in \(earlier.path)")
                        }
                        signedRoots[size] = (root, path)
                        last = (size, root)
                    case .invalid(let check, let reason):
                        throw KuraError(.verificationFailed, "\(path): \(check): \(reason)")
                    }
                }
                if let (size, root) = last {
                    print(
                        "ok: \(bundles.count) bundle(s) verified against \(verifier.name) (tree size \(size), root \(Base64.encode(root)))"
                    )
                }
            }
        }
    }
}

/// `--key`: a verifier key file or the key text.
enum VerifierKeyArgument {
    static func load(_ argument: String) throws(KuraError) -> NoteVerifier {
        var text = argument
        if FileManager.default.fileExists(atPath: argument) {
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw KuraError(.notFound, "cannot read \(argument)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        do { return try NoteVerifier(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw KuraError(.invalidRequest, "--key: \(error.reason)")
        }
    }
}
