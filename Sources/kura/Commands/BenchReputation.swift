import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting

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
                let receipts = try SyntheticReceipts.make(payments: payments, parties: parties, seed: 1)
                var bytes: [UInt8] = []
                for receipt in receipts { bytes += try receipt.leafBytes() + [0x0A] }
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                    throw KuraError(.invalidRequest, "cannot write \(path)")
                }
                print(
                    String(
                        format: "export: %d receipts, %.0f MB, %d parties", receipts.count,
                        Double(bytes.count) / 1e6, parties))

                // Wall time, and CPU time (user + system, all threads): on a busy machine the CPU time is
                // the steadier figure.
                func measure(_ label: String, _ body: () throws -> Int) rethrows {
                    let wall = Date()
                    let cpu = BenchSupport.cpuSeconds()
                    let count = try body()
                    let seconds = Date().timeIntervalSince(wall)
                    let used = BenchSupport.cpuSeconds() - cpu
                    print(
                        String(
                            format: "%@ %6.2f s wall (%8.0f receipts/s), %6.2f s CPU",
                            label.padding(
                                toLength: 52, withPad: " ", startingAt: 0), seconds, Double(count) / seconds, used))
                }
                try measure("baseline: read and parse every line (all cores):") {
                    var parsed = 0
                    var batch: [ArraySlice<UInt8>] = []
                    try ExportReader.forEachLine(path) { line, _ throws(KuraError) -> Bool in
                        batch.append(line)
                        if batch.count == 16_384 {
                            parsed += try OfflineReputation.parse(batch, path: path, firstLine: 1).count
                            batch.removeAll(keepingCapacity: true)
                        }
                        return true
                    }
                    return parsed + (try OfflineReputation.parse(batch, path: path, firstLine: 1).count)
                }
                try measure("recompute: parse, fold, root, every party's report:") {
                    let result = try OfflineReputation.compute(path: path, limit: nil, only: nil, model: .standard)
                    let reports = result.ledger.parties.keys.map {
                        result.ledger.report(for: $0, rootHash: result.rootHash)
                    }
                    precondition(reports.count <= parties)
                    return Int(result.ledger.size)
                }
                try measure("the fold alone, receipts already in memory:") {
                    var ledger = ReputationLedger()
                    for receipt in receipts { try ledger.fold(receipt) }
                    return Int(ledger.size)
                }
            }
        }
    }
}
