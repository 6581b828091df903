import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Docs/reputation.md stays true: its Python reference, extracted from the page and run as it is, gives the
/// same scores, bounds, tiers and evidence as the Swift fold over a synthetic history of every kind.
@Suite("Docs/reputation.md")
struct ReputationDocsTests {
    static let page = GoldenFixtures.root.appendingPathComponent("Docs/reputation.md")

    static func python() throws -> String {
        let text = try String(contentsOf: page, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- meishi.py begin -->"))
        let end = try #require(text.range(of: "<!-- meishi.py end -->"))
        let block = text[begin.upperBound..<end.lowerBound]
        let open = try #require(block.range(of: "```python\n"))
        let close = try #require(block.range(of: "```", options: .backwards))
        return String(block[open.upperBound..<close.lowerBound])
    }

    @Test("the Python reference agrees with the Swift fold, party by party")
    func pythonAgrees() async throws {
        guard let python = executableOnPath("python3") else { return }
        let receipts = try SyntheticReceipts.make(payments: 400, parties: 12, seed: 9)
        let dir = try TemporaryDirectory("reputation-docs")
        defer { dir.remove() }
        try dir.write("meishi.py", try Self.python())
        var lines = ""
        for receipt in receipts { lines += String(decoding: try receipt.leafBytes(), as: UTF8.self) + "\n" }
        try dir.write("receipts.jsonl", lines)
        var ledger = ReputationLedger()
        for receipt in receipts { try ledger.fold(receipt) }
        let asOf = receipts.count * 2 / 3
        var early = ReputationLedger()
        for receipt in receipts.prefix(asOf) { try early.fold(receipt) }
        for party in ledger.parties.keys.sorted().prefix(4) {
            for (limit, reference) in [(nil, ledger), (asOf, early)] as [(Int?, ReputationLedger)] {
                var arguments = [dir.path("meishi.py"), "receipts.jsonl", party.rawValue]
                if let limit { arguments += ["--as-of", "\(limit)"] }
                let result = try await runProgram(python, arguments, in: dir)
                try #require(result.status == 0, "\(result)")
                let printed = try JSONValue.parse(Array(result.stdout.utf8))
                let report = reference.report(for: party, rootHash: "")
                for (role, score) in [("provider", report.provider), ("payer", report.payer)] {
                    let expected: JSONValue = [
                        "score": .number(Double(score.score)), "lowerBound": .number(Double(score.lowerBound)),
                        "tier": .string(score.tier), "positive": .number(Double(score.evidence["positive"]!)),
                        "negative": .number(Double(score.evidence["negative"]!)),
                    ]
                    #expect(printed[role] == expected, "\(party) \(role) as of \(limit.map(String.init) ?? "all")")
                }
            }
        }
    }
}
