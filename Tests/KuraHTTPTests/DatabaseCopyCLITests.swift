import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

/// `kura init --db postgres://…` and `kura db copy` (issue 16): the real binary moves an SQLite database with
/// escrows, receipts and idempotency records to PostgreSQL, the service's replay rebuilds the read models there,
/// and the copy answers like the original; a target that holds events is refused and left as it was.
@Suite("kura db copy", .serialized)
struct DatabaseCopyCLITests {
    func json(_ arguments: [String], _ dir: TemporaryDirectory) async throws -> JSONValue {
        let result = try await runKura(arguments + ["--json"], in: dir)
        try #require(result.status == 0, "\(arguments): \(result)")
        return try JSONValue.parse(result.stdout)
    }

    @Test("SQLite to PostgreSQL: chain, head, receipt root, balances and answers equal; a non-empty target refused")
    func copyToPostgres() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let database = try TestPostgres.database()
        defer { database.drop() }
        let sqlite = ["--db", dir.path("k.sqlite")]
        _ = try await json(["init"] + sqlite, dir)
        _ = try await runKura(["keys", "generate", "--out", "payer.key", "--name", "payer"], in: dir)
        _ = try await runKura(["keys", "generate", "--out", "payee.key", "--name", "payee"], in: dir)
        let payer = try #require(
            try await json(
                ["party", "add", "--name", "payer", "--role", "agent", "--key-file", "payer.key"] + sqlite, dir)[
                    "party"]?["id"]?.stringValue)
        let payee = try #require(
            try await json(
                ["party", "add", "--name", "payee", "--role", "provider", "--key-file", "payee.key"] + sqlite, dir)[
                    "party"]?["id"]?.stringValue)
        _ = try await json(["deposit", payer, "--asset", "USDC", "--amount", "50000"] + sqlite, dir)
        // A fixed deadline, so that a retry is the same request.
        let deliverBy = String(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        var escrows: [String] = []
        for i in 0..<3 {
            let escrow = try await json(
                [
                    "escrow", "open", "--payee", payee, "--amount", "\(1000 * (i + 1))", "--asset", "USDC",
                    "--deliver-by", deliverBy, "--as", payer, "--idempotency-key", "order-\(i)",
                ] + sqlite, dir)
            escrows.append(try #require(escrow["id"]?.stringValue))
        }
        let evidence = Hex.encode(SHA256.hash("the response"))
        _ = try await json(["escrow", "deliver", escrows[0], "--evidence", evidence, "--as", payee] + sqlite, dir)
        _ = try await json(["escrow", "confirm", escrows[0], "--as", payer] + sqlite, dir)
        let sourceHead = try await json(["log", "verify"] + sqlite, dir)

        let url = database.url.description
        let report = try await json(["db", "copy", "--from", dir.path("k.sqlite"), "--to", url], dir)
        #expect(report["events"] == sourceHead["events"] && report["headHash"] == sourceHead["headHash"], "\(report)")
        #expect(report["receipts"]?.uint64Value == 5)
        #expect(report["idempotencyRecords"]?.uint64Value == 3)
        #expect(try await json(["log", "verify", "--db", url], dir)["headHash"] == sourceHead["headHash"])

        // The copy answers as the original: balances, an escrow, and an idempotent retry replayed, not re-run.
        let postgres = ["--db", url, "--service-key-file", dir.path("k.sqlite.key")]
        for party in [payer, payee] {
            #expect(try await json(["balance", party] + postgres, dir) == json(["balance", party] + sqlite, dir))
        }
        #expect(
            try await json(["escrow", "show", escrows[0]] + postgres, dir)
                == json(["escrow", "show", escrows[0]] + sqlite, dir))
        let retried = try await json(
            [
                "escrow", "open", "--payee", payee, "--amount", "2000", "--asset", "USDC", "--deliver-by", deliverBy,
                "--as", payer, "--idempotency-key", "order-1",
            ] + postgres, dir)
        #expect(retried["id"]?.stringValue == escrows[1])
        #expect(try await json(["log", "verify", "--db", url], dir)["headHash"] == sourceHead["headHash"])

        // A second copy into the now non-empty database is refused, and nothing changes.
        let again = try await runKura(["db", "copy", "--from", dir.path("k.sqlite"), "--to", url], in: dir)
        #expect(again.status == 75 && again.stderr.contains("already holds"), "\(again)")
        #expect(try await json(["log", "verify", "--db", url], dir)["headHash"] == sourceHead["headHash"])
    }

    @Test("a tampered source is refused with exit 65 and leaves no new SQLite file behind, so the copy can run again")
    func tamperedSourceLeavesNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = dir.path("k.sqlite")
        let operatorID = try #require(try await json(["init", "--db", source], dir)["operatorId"]?.stringValue)
        for amount in [100, 200, 300] {
            _ = try await json(
                ["deposit", operatorID, "--asset", "USDC", "--amount", "\(amount)", "--db", source], dir)
        }
        try SQLiteConnection(path: source, create: false).execute(
            "DROP TRIGGER events_refuse_update; UPDATE events SET at = at + 1 WHERE seq = 2")
        let target = dir.path("copy.sqlite")
        let refused = try await runKura(["db", "copy", "--from", source, "--to", target], in: dir)
        #expect(refused.status == 65 && refused.stderr.contains("nothing was copied"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: target), "the refused copy left \(dir.contents())")
    }
}
