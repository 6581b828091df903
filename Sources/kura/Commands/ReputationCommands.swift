import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura reputation …`: Meishi reputation, read from Kura or recomputed and verified offline.
struct ReputationCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reputation",
        abstract: "Show Meishi reputation, recompute it offline from a receipt export, verify attestations.",
        subcommands: [Show.self, Compute.self, Verify.self, Attest.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a party's provider and payer scores, at the current tree size or as of N receipts.",
            discussion: "Example: kura reputation show pty_… --server http://127.0.0.1:8402 --api-key $KEY")
        @Argument var party: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Compute at the tree of the first N receipts.") var asOf: UInt64?
        @Flag(help: "Print the report's canonical JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let report = try await backend.perform(
                    KuraAPI.showReputation, at: try PartyID(validating: party), query: AsOfQuery(asOf: asOf),
                    body: EmptyRequest(), idempotencyKey: nil
                ).decoded()
                if json { return printJSON(try JSONValue(encoding: report)) }
                ReputationRender.report(report)
            }
        }
    }

    struct Attest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a party's reputation attestation (the report signed by Kura).",
            discussion: "Example: kura reputation attest pty_… --out bob.attestation.json --db kura.sqlite")
        @Argument var party: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Attest the tree of the first N receipts.") var asOf: UInt64?
        @Option(help: "Write to this file instead of stdout.") var out: String?

        func run() async throws {
            try await withBackend(target) { backend in
                let attestation = try await backend.reputationAttestation(
                    of: try PartyID(validating: party), asOf: asOf)
                guard let out else { return printJSON(try JSONValue(encoding: attestation)) }
                let bytes = try JSONValue.canonicalBytes(encoding: attestation)
                guard FileManager.default.createFile(atPath: out, contents: Data(bytes + [0x0A])) else {
                    throw KuraError(.invalidRequest, "cannot write \(out)")
                }
            }
        }
    }

    struct Compute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute reputation fully offline from a receipt export (JSON lines).",
            discussion: """
                Folds the receipts in index order (Docs/reputation.md), recomputes the tree root from their \
                canonical JSON, and prints the same reports the server answers: one party with --party, else \
                every party named by the receipts. No database, no server. On a terminal, progress with a rate \
                and an estimate goes to stderr.

                Example: kura reputation compute --receipts receipts.jsonl --party pty_… --as-of 1000 --json
                """)
        @Option(help: "The export, from `kura receipts export`.") var receipts: String
        @Option(help: "Only this party.") var party: String?
        @Option(help: "Use the first N receipts only.") var asOf: UInt64?
        @Option(help: "Evidence half-life in days (default 90, as the server).") var halfLifeDays: Int64?
        @Flag(help: "Print canonical JSON, one report per line.") var json = false

        /// The longest half-life whose milliseconds fit the model's integer.
        static let longestHalfLifeDays = Int64.max / 86_400_000

        func validate() throws {
            if let halfLifeDays, !(1...Self.longestHalfLifeDays).contains(halfLifeDays) {
                throw ValidationError("--half-life-days must be 1 to \(Self.longestHalfLifeDays), got \(halfLifeDays)")
            }
        }

        func run() async throws {
            try await reportingErrors {
                var model = ReputationModel.standard
                if let halfLifeDays { model.halfLifeMs = halfLifeDays * 86_400_000 }
                try model.validate()
                let only = try party.map { try PartyID(validating: $0) }
                let size = (try? FileManager.default.attributesOfItem(atPath: receipts)[.size] as? NSNumber)?
                    .uint64Value
                let progress = ProgressReporter("reputation compute", unit: .bytes, total: size, json: json)
                let result = try OfflineReputation.compute(
                    path: receipts, limit: asOf, only: only, model: model, progress: { progress.update(done: $0) })
                progress.finish()
                let parties = only.map { [$0] } ?? result.ledger.parties.keys.sorted()
                let reports = parties.map { result.ledger.report(for: $0, rootHash: result.rootHash) }
                if json {
                    for report in reports { printJSON(try JSONValue(encoding: report)) }
                    return
                }
                print("tree size \(result.ledger.size), root \(result.rootHash)")
                ReputationRender.table(reports)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a reputation attestation offline, with Kura's verifier key only.",
            discussion: """
                Checks, in order: the layout (malformed), the key name and ID (key_name), the Ed25519 signature \
                (signature), the signed checkpoint of the attested tree (checkpoint); with --receipts also that \
                the export's first N receipts have the attested root and give the attested report (receipts). \
                Exits 0, or 65 naming the failed check.

                Example: kura reputation verify bob.attestation.json --key kura.vkey --receipts receipts.jsonl
                """)
        @Argument(help: "The attestation file.") var attestation: String
        @Option(help: "A file holding the verifier key, or the key text itself.") var key: String
        @Option(help: "A receipt export to recompute the report from.") var receipts: String?

        func run() async throws {
            try await reportingErrors {
                let verifier = try VerifierKeyArgument.load(key)
                guard let data = FileManager.default.contents(atPath: attestation) else {
                    throw KuraError(.notFound, "cannot read \(attestation)")
                }
                let decoded: ReputationAttestation
                do throws(JSONError) {
                    let parsed = try JSONValue.parse([UInt8](data))
                    decoded = try parsed.decode(ReputationAttestation.self)
                    // Exactly what the signature covers, and nothing else rides along: a member decoding drops
                    // (`"verified": true`) would otherwise be read as attested.
                    guard try JSONValue(encoding: decoded) == parsed else {
                        throw JSONError(reason: "members the attestation does not define, or not in its form")
                    }
                } catch {
                    throw KuraError(.verificationFailed, "\(attestation): malformed: \(error.reason)")
                }
                do throws(KuraError) { try decoded.verify(with: verifier) } catch {
                    throw KuraError(.verificationFailed, "\(attestation): \(error.detail)")
                }
                let report = decoded.reputation
                var recomputed = ""
                if let receipts {
                    let result = try OfflineReputation.compute(
                        path: receipts, limit: report.checkpoint.size, only: report.party, model: report.model)
                    guard result.ledger.size == report.checkpoint.size, result.rootHash == report.checkpoint.rootHash
                    else {
                        throw KuraError(
                            .verificationFailed,
                            "\(attestation): receipts: \(receipts) has \(result.ledger.size) receipts with root \(result.rootHash) at that size, the attestation names size \(report.checkpoint.size) root \(report.checkpoint.rootHash)"
                        )
                    }
                    let again = result.ledger.report(for: report.party, rootHash: result.rootHash)
                    guard try again.canonicalBytes() == report.canonicalBytes() else {
                        throw KuraError(
                            .verificationFailed,
                            "\(attestation): receipts: recomputing from \(receipts) gives another report")
                    }
                    recomputed = " and recomputed from \(receipts)"
                }
                print(
                    "ok: reputation of \(report.party) at tree size \(report.checkpoint.size) (root \(report.checkpoint.rootHash)) signed by \(decoded.issuer)\(recomputed)"
                )
            }
        }
    }
}

enum ReputationRender {
    static func report(_ r: ReputationReport) {
        print("\(r.party) at tree size \(r.checkpoint.size) (root \(r.checkpoint.rootHash))")
        printTable(
            ["role", "score", "lowerBound", "tier", "positive", "negative"],
            [("provider", r.provider), ("payer", r.payer)].map { name, s in
                [
                    name, "\(s.score)", "\(s.lowerBound)", s.tier, "\(s.evidence["positive"] ?? 0)",
                    "\(s.evidence["negative"] ?? 0)",
                ]
            })
    }

    static func table(_ reports: [ReputationReport]) {
        printTable(
            ["party", "provider", "tier", "payer", "tier"],
            reports.map {
                [$0.party.rawValue, "\($0.provider.score)", $0.provider.tier, "\($0.payer.score)", $0.payer.tier]
            })
    }
}

extension ReceiptCommands {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every receipt, in index order, as JSON lines (one canonical receipt per line).",
            discussion: """
                On a terminal, progress with a rate and an estimate goes to stderr.

                Example: kura receipts export --out receipts.jsonl --db kura.sqlite
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The file to write.") var out: String

        func run() async throws {
            try await withBackend(target) { backend in
                guard FileManager.default.createFile(atPath: out, contents: nil),
                    let handle = FileHandle(forWritingAtPath: out)
                else { throw KuraError(.invalidRequest, "cannot write \(out)") }
                defer { try? handle.close() }
                let progress = ProgressReporter(
                    "receipts export", unit: .count("receipts"), total: try await backend.receiptCount(), json: false)
                var cursor: String?
                var count = 0
                repeat {
                    let page = try await backend.perform(
                        KuraAPI.listReceipts, query: ReceiptListQuery(cursor: cursor, limit: 1000))
                    var bytes: [UInt8] = []
                    for receipt in page.items { bytes += try receipt.leafBytes() + [0x0A] }
                    handle.write(Data(bytes))
                    count += page.items.count
                    progress.update(done: UInt64(count))
                    cursor = page.nextCursor
                } while cursor != nil
                progress.finish()
                FileHandle.standardError.write(Data("wrote \(count) receipts to \(out)\n".utf8))
            }
        }
    }
}
