import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

extension Bench {
    /// `kura bench reputation`: recomputing every score from an export, beside just parsing it.
    struct ReputationBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reputation",
            abstract: "Recompute all reputation scores from N synthetic receipts, beside parsing them only.",
            discussion: "Example: kura bench reputation --payments 400000")

        @Option(help: "Payments in the synthetic history (about 2.5 receipts each).") var payments: Int = 400_000
        @Option(help: "Parties in the history.") var parties: Int = 10_000
        @Option(help: "Directory for the temporary export.") var dir: String = NSTemporaryDirectory()

        func run() async throws {
            try await reportingErrors {
                let path = (dir as NSString).appendingPathComponent("kura-bench-reputation-\(getpid()).jsonl")
                defer { try? FileManager.default.removeItem(atPath: path) }
                let receipts = SyntheticReceipts.make(payments: payments, parties: parties, seed: 1)
                var bytes: [UInt8] = []
                for receipt in receipts { bytes += try receipt.leafBytes() + [0x0A] }
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                    throw KuraError(.invalidRequest, "cannot write \(path)")
                }
                print(
                    String(
                        format: "export: %d receipts, %.0f MB, %d parties", receipts.count,
                        Double(bytes.count) / 1e6, parties))

                var start = Date()
                var parsed = 0
                try ExportReader.forEachLine(path) { line, _ throws(KuraError) -> Bool in
                    do { _ = try Receipt(json: try JSONValue.parse(line)) } catch {
                        throw KuraError(.invalidRequest, "\(error)")
                    }
                    parsed += 1
                    return true
                }
                let parse = Date().timeIntervalSince(start)
                print(
                    String(
                        format: "baseline, parse and decode every receipt:            %6.2f s (%.0f receipts/s)", parse,
                        Double(parsed) / parse))

                start = Date()
                let result = try OfflineReputation.compute(path: path, limit: nil, only: nil, model: .standard)
                let reports = result.ledger.parties.keys.map {
                    result.ledger.report(for: $0, rootHash: result.rootHash)
                }
                let full = Date().timeIntervalSince(start)
                print(
                    String(
                        format:
                            "recompute: parse, fold, tree root and %d reports:  %6.2f s (%.0f receipts/s, %.0f%% over parsing)",
                        reports.count, full, Double(result.ledger.size) / full, 100 * (full - parse) / parse))

                start = Date()
                var ledger = ReputationLedger()
                for receipt in receipts { try ledger.fold(receipt) }
                let foldOnly = Date().timeIntervalSince(start)
                print(
                    String(
                        format: "the fold alone, receipts in memory:                   %6.2f s (%.0f receipts/s)",
                        foldOnly, Double(receipts.count) / foldOnly))
            }
        }
    }
}
