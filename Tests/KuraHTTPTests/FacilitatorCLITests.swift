import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// The real `kura` binary: mandates, prices and positions on a local file.
@Suite("CLI: mandates, positions, prices", .serialized)
struct FacilitatorCLITests {
    func json(_ arguments: [String], _ dir: TemporaryDirectory) async throws -> JSONValue {
        let result = try await runKura(arguments + ["--json"], in: dir)
        try #require(result.status == 0, "\(arguments): \(result)")
        return try JSONValue.parse(result.stdout)
    }

    @Test("mandate create/top-up/revoke, price set/list, position open/show/close, with exit codes for refusals")
    func localMode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = ["--db", dir.path("k.sqlite")]
        _ = try await json(["init"] + db, dir)
        _ = try await runKura(["keys", "generate", "--out", "agent.key", "--name", "agent"], in: dir)
        _ = try await runKura(["keys", "generate", "--out", "provider.key", "--name", "provider"], in: dir)
        let agent = try #require(
            try await json(
                ["party", "add", "--name", "agent", "--role", "agent", "--key-file", "agent.key"] + db, dir)[
                    "party"]?["id"]?.stringValue)
        let provider = try #require(
            try await json(
                ["party", "add", "--name", "provider", "--role", "provider", "--key-file", "provider.key"] + db, dir)[
                    "party"]?["id"]?.stringValue)
        _ = try await json(["deposit", agent, "--asset", "USDC", "--amount", "100000"] + db, dir)
        _ = try await json(["deposit", agent, "--asset", "SOL", "--amount", "5000000000"] + db, dir)

        let mandate = try await json(
            [
                "mandate", "create", "--agent", agent, "--asset", "USDC", "--amount", "30000", "--per-tx-cap", "1000",
                "--daily-cap", "5000", "--counterparty", provider, "--expires-in", "3600", "--as", agent,
            ] + db, dir)
        let mandateID = try #require(mandate["id"]?.stringValue)
        #expect(mandate["balance"]?.uint64Value == 30_000 && mandate["state"] == "active")
        let topped = try await json(["mandate", "top-up", mandateID, "--amount", "500", "--as", agent] + db, dir)
        #expect(topped["balance"]?.uint64Value == 30_500)
        let revoked = try await json(["mandate", "revoke", mandateID, "--as", agent] + db, dir)
        #expect(revoked["state"] == "revoked")
        let twice = try await runKura(["mandate", "revoke", mandateID, "--as", agent] + db, in: dir)
        #expect(twice.status == 75 && twice.stderr.hasPrefix("kura: invalid_transition:"), "\(twice)")

        let price = try await json(
            ["price", "set", "--base", "SOL", "--quote", "USDC", "--price", "150000000"] + db, dir)
        #expect(price["price"]?["units"]?.uint64Value == 150_000_000)
        let listed = try await json(["price", "list"] + db, dir)
        #expect(listed["items"]?.arrayValue?.count == 1)
        let position = try await json(
            [
                "position", "open", "--agent", agent, "--collateral-asset", "SOL", "--collateral", "1000000000",
                "--asset", "USDC", "--single-payment-cap", "50000", "--as", agent,
            ] + db, dir)
        let positionID = try #require(position["id"]?.stringValue)
        #expect(position["ltvBps"]?.uint64Value == 6_000 && position["collateral"]?.uint64Value == 1_000_000_000)
        let notFrozen = try await runKura(["position", "liquidate", positionID] + db, in: dir)
        #expect(notFrozen.status == 75, "\(notFrozen)")
        let shown = try await json(["position", "show", positionID, "--as", agent] + db, dir)
        #expect(shown["state"] == "active")
        let closed = try await json(["position", "close", positionID, "--as", agent] + db, dir)
        #expect(closed["state"] == "closed")
        let balance = try await json(["balance", agent] + db, dir)
        let rows = balance["balances"]?.arrayValue ?? []
        #expect(rows.first { $0["asset"] == "SOL" }?["available"]?.uint64Value == 5_000_000_000)
        #expect(rows.first { $0["asset"] == "USDC" }?["available"]?.uint64Value == 100_000)
        #expect(try await runKura(["log", "verify"] + db, in: dir).status == 0)
        let replay = try await json(["replay"] + db, dir)
        #expect(replay["identical"]?.boolValue == true)
    }
}
