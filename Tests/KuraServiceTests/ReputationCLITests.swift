import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// `kura receipts export` and `kura reputation compute|show|attest|verify`, run as the real binary on the
/// databases of the golden scenarios. Computing and verifying run in a directory without any database.
@Suite("reputation on the command line")
struct ReputationCLITests {
    @Test("an export recomputed offline gives the server's reports, byte for byte", arguments: GoldenFixtures.names)
    func computeEqualsServer(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        let db = session.database.path
        try Data(TestKeys.serviceSigner.signerKeyText.utf8).write(to: URL(fileURLWithPath: db + ".key"))
        let dir = try TemporaryDirectory("reputation-cli")
        defer { dir.remove() }
        let export = try await runKura(["receipts", "export", "--db", db, "--out", "receipts.jsonl"], in: dir)
        try #require(export.status == 0, "\(export)")
        let lines = try dir.read("receipts.jsonl").split(separator: "\n")
        #expect(lines.count == session.result.receipts.count)

        // Every party the receipts name, in one run, fully offline.
        let all = try await runKura(["reputation", "compute", "--receipts", "receipts.jsonl", "--json"], in: dir)
        try #require(all.status == 0, "\(all)")
        let reports = all.stdout.split(separator: "\n")
        let parties = try reports.map { try #require(try JSONValue.parse(Array($0.utf8))["party"]?.stringValue) }
        #expect(parties == parties.sorted() && !parties.isEmpty)
        for (line, party) in zip(reports, parties) {
            let server = try await session.service.reputation(of: try PartyID(validating: party))
            #expect(Array(line.utf8) == (try server.canonicalBytes()), "\(name) \(party)")
        }

        // One party, as of half the log; and the same party over `show` on the database.
        let party = try #require(parties.first)
        let half = UInt64(lines.count / 2)
        let one = try await runKura(
            [
                "reputation", "compute", "--receipts", "receipts.jsonl", "--party", party, "--as-of", "\(half)",
                "--json",
            ],
            in: dir)
        try #require(one.status == 0, "\(one)")
        let asOf = try await session.service.reputation(of: try PartyID(validating: party), asOf: half)
        #expect(one.stdout == String(decoding: try asOf.canonicalBytes(), as: UTF8.self) + "\n")
        let show = try await runKura(
            ["reputation", "show", party, "--db", db, "--as-of", "\(half)", "--json"], in: dir)
        #expect(show.stdout == one.stdout, "\(show)")
    }

    @Test("an attestation verifies offline with the verifier key and the export; tampering names the check")
    func attestAndVerify() async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        defer { session.close() }
        let db = session.database.path
        try Data(TestKeys.serviceSigner.signerKeyText.utf8).write(to: URL(fileURLWithPath: db + ".key"))
        let dir = try TemporaryDirectory("reputation-verify")
        defer { dir.remove() }
        let party = try #require(
            session.parties["bob"] ?? session.parties.values.first { $0.roles.contains(.provider) })
        for arguments in [
            ["receipts", "export", "--db", db, "--out", "receipts.jsonl"],
            ["reputation", "attest", party.id.rawValue, "--db", db, "--out", "a.json"],
        ] {
            let result = try await runKura(arguments, in: dir)
            try #require(result.status == 0, "\(result)")
        }
        try dir.write("vkey", TestKeys.serviceSigner.verifier.text + "\n")
        let ok = try await runKura(
            ["reputation", "verify", "a.json", "--key", "vkey", "--receipts", "receipts.jsonl"], in: dir)
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout.hasPrefix("ok: reputation of \(party.id)") && ok.stdout.contains("recomputed"))

        let original = try JSONValue.parse(Array(try dir.read("a.json").utf8))
        var tampered = try original.decode(ReputationAttestation.self)
        tampered.reputation.provider.score = 1000
        try dir.write("t.json", json: try JSONValue(encoding: tampered))
        let bad = try await runKura(["reputation", "verify", "t.json", "--key", "vkey"], in: dir)
        #expect(bad.status == 65 && bad.stderr.contains("signature"), "\(bad)")

        // A validly signed report that the receipts do not give: only the recomputation catches it.
        var forged = try original.decode(ReputationAttestation.self)
        forged.reputation.provider.score = 999
        forged = try ReputationAttestation.sign(
            forged.reputation, checkpointNote: forged.checkpoint, signer: TestKeys.serviceSigner)
        try dir.write("f.json", json: try JSONValue(encoding: forged))
        #expect(try await runKura(["reputation", "verify", "f.json", "--key", "vkey"], in: dir).status == 0)
        let caught = try await runKura(
            ["reputation", "verify", "f.json", "--key", "vkey", "--receipts", "receipts.jsonl"], in: dir)
        #expect(caught.status == 65 && caught.stderr.contains("receipts:"), "\(caught)")

        // Review finding: a member the signature does not cover rode along, and verification said "ok".
        for (file, extra) in [
            ("x.json", original.setting(["verified"], true)),
            ("y.json", original.setting(["reputation", "verified"], true)),
        ] {
            try dir.write(file, json: extra)
            let riding = try await runKura(["reputation", "verify", file, "--key", "vkey"], in: dir)
            #expect(riding.status == 65 && riding.stderr.contains("malformed"), "\(file): \(riding)")
        }
    }
}
