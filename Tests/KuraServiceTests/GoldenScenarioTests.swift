import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// The golden scenarios of DESIGN section 10: each script in `Fixtures/scenarios/` is run through
/// KuraService with a test clock and fixed keys, and what it produced (log head, receipts and their leaf
/// hashes, checkpoints, balances) must equal `Fixtures/expected/<name>.json`, field by field.
///
/// `KURA_REGENERATE_GOLDEN=1 swift test --filter GoldenScenarioTests` rewrites the expected files
/// instead. Doing so is a deliberate act that a reviewer checks: a changed golden file means a changed
/// log, receipt or root, and every verifier holding an old checkpoint would see the difference.
@Suite("golden scenarios")
struct GoldenScenarioTests {
    @Test("the three scenarios of issue 5 exist, each with its expected file")
    func fixturesAreComplete() throws {
        for name in ["happy-path", "dispute-opened", "expiry-and-auto-release"] {
            #expect(GoldenFixtures.names.contains(name), "Fixtures/scenarios/\(name).json is missing")
        }
        for name in GoldenFixtures.names where !GoldenFixtures.regenerating {
            #expect(
                FileManager.default.fileExists(atPath: GoldenFixtures.expected(name).path),
                "Fixtures/expected/\(name).json is missing; create it with KURA_REGENERATE_GOLDEN=1")
        }
    }

    @Test("running the scenario gives exactly the expected file", arguments: GoldenFixtures.names)
    func matchesExpected(name: String) async throws {
        let result = try await ScenarioRunner.run(GoldenFixtures.scenario(name))
        let url = GoldenFixtures.expected(name)
        if GoldenFixtures.regenerating {
            try result.golden.write(to: url)
            print("regenerated \(url.path): review the diff before committing it")
            return
        }
        let expected = try ScenarioGolden.load(url)
        let actual = result.golden
        #expect(actual.scenario == expected.scenario)
        #expect(actual.description == expected.description)
        #expect(actual.logHead == expected.logHead, "log head")
        #expect(actual.parties == expected.parties, "party IDs")
        #expect(actual.escrows == expected.escrows, "escrow IDs")
        #expect(actual.receipts.count == expected.receipts.count, "number of receipts")
        for (index, (got, want)) in zip(actual.receipts, expected.receipts).enumerated() where got != want {
            Issue.record(
                "receipt \(index) differs:\n got  \(try JSONValue(encoding: got).canonicalString())\n want \(try JSONValue(encoding: want).canonicalString())"
            )
        }
        #expect(actual.leafHashes == expected.leafHashes, "leaf hashes")
        #expect(actual.checkpoints == expected.checkpoints, "checkpoints issued during the run")
        #expect(actual.finalCheckpoint == expected.finalCheckpoint, "final checkpoint")
        #expect(actual.balances == expected.balances, "balances")
        #expect(actual.fees == expected.fees, "fees")
        let identical = actual == expected  // also catches a field added later but not compared above
        #expect(identical, "the golden record as a whole")
    }

    @Test("two runs in fresh databases give byte-identical results", arguments: GoldenFixtures.names)
    func isDeterministic(name: String) async throws {
        let first = try await ScenarioRunner.run(GoldenFixtures.scenario(name))
        let second = try await ScenarioRunner.run(GoldenFixtures.scenario(name))
        let a = try first.canonicalBytes()
        let b = try second.canonicalBytes()
        #expect(a == b)
        #expect(first == second)
    }

    @Test(
        "the ledger balances after every step, and replay rebuilds the same read models",
        arguments: GoldenFixtures.names)
    func keepsInvariants(name: String) async throws {
        let result = try await ScenarioRunner.run(GoldenFixtures.scenario(name))
        #expect(result.ledgerViolations == [])
        #expect(result.replay.before == result.replay.after)
        #expect(result.replay.before.count == 64)
        #expect(!result.receipts.isEmpty)
    }

    @Test("an expected file is consistent in itself: leaf hashes, signed roots, sizes", arguments: GoldenFixtures.names)
    func expectedFileIsSelfConsistent(name: String) throws {
        guard !GoldenFixtures.regenerating else { return }
        let golden = try ScenarioGolden.load(GoldenFixtures.expected(name))
        let verifier = TestKeys.serviceSigner.verifier
        #expect(golden.receipts.count == golden.leafHashes.count)
        var leaves: [[UInt8]] = []
        for (index, receipt) in golden.receipts.enumerated() {
            #expect(receipt.index == UInt64(index))
            let leaf = naiveLeafHash(try JSONValue(encoding: receipt).canonicalBytes())
            #expect(Hex.encode(leaf) == golden.leafHashes[index], "leaf hash of receipt \(index)")
            leaves.append(leaf)
        }
        for record in golden.checkpoints + [golden.finalCheckpoint] {
            let checkpoint = try openCheckpoint(record, verifier)
            #expect(checkpoint.size == record.size)
            #expect(checkpoint.origin == verifier.name)
            #expect(Base64.encode(checkpoint.rootHash) == record.rootHash)
            #expect(checkpoint.rootHash == naiveRoot(leaves.prefix(Int(record.size))), "root at size \(record.size)")
        }
        #expect(golden.finalCheckpoint.size == UInt64(golden.receipts.count))
        #expect(golden.logHead.hash.count == 64)
    }
}
