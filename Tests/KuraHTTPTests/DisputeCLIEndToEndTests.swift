import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// Issue 6's end-to-end test: the real `kura` binary, run as three arbiters each with its own key file
/// and API key, against a live `kura serve`. The appeal window is one second so that the server's own
/// sweeper resolves the dispute while the test watches.
@Suite("disputes from the CLI against a live server", .serialized)
struct DisputeCLIEndToEndTests {
    struct Party {
        let id: String
        let apiKey: String
    }

    func json(_ arguments: [String], _ dir: TemporaryDirectory) async throws -> JSONValue {
        let result = try await runKura(arguments + ["--json"], in: dir)
        try #require(result.status == 0, "\(arguments): \(result)")
        return try JSONValue.parse(result.stdout)
    }

    func register(_ name: String, role: String, _ dir: TemporaryDirectory, _ asOperator: [String]) async throws
        -> Party
    {
        let keys = try await runKura(["keys", "generate", "--out", "\(name).key", "--name", name], in: dir)
        try #require(keys.status == 0, "\(keys)")
        let command =
            role == "arbiter"
            ? ["arbiter", "add", "--name", name, "--key-file", "\(name).key"]
            : ["party", "add", "--name", name, "--role", role, "--key-file", "\(name).key"]
        let registration = try await json(command + asOperator, dir)
        return Party(
            id: try #require(registration["party"]?["id"]?.stringValue),
            apiKey: try #require(registration["apiKey"]?.stringValue))
    }

    @Test("three arbiters rule from their own shells; refusals are clear; the sweeper resolves")
    func threeArbiters() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try await ServerProcess.start(
            database: dir.path("d.sqlite"), in: dir, arguments: ["--dispute-appeal-window", "1"])
        let operatorKey = try String(contentsOfFile: dir.path("d.sqlite.operator-key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let url = ["--server", server.url]
        let asOperator = url + ["--api-key", operatorKey]
        let payer = try await register("payer", role: "agent", dir, asOperator)
        let payee = try await register("payee", role: "provider", dir, asOperator)
        var arbiters: [String: Party] = [:]
        for name in ["ada", "bo", "cy", "dee"] {
            arbiters[name] = try await register(name, role: "arbiter", dir, asOperator)
        }
        _ = try await json(["deposit", payer.id, "--asset", "USDC", "--amount", "1000000"] + asOperator, dir)
        let escrow = try await json(
            [
                "escrow", "open", "--payee", payee.id, "--amount", "200000", "--asset", "USDC", "--deliver-within",
                "3600", "--api-key", payer.apiKey,
            ] + url, dir)
        let escrowID = try #require(escrow["id"]?.stringValue)
        _ = try await json(
            [
                "escrow", "deliver", escrowID, "--evidence", String(repeating: "cd", count: 32), "--api-key",
                payee.apiKey,
            ]
                + url, dir)
        let disputed = try await json(
            ["escrow", "dispute", escrowID, "--reason", "half the rows are missing", "--api-key", payer.apiKey] + url,
            dir)
        let disputeID = try #require(disputed["disputeId"]?.stringValue)

        // The panel: three of the four arbiters, who each find the case in their own list.
        let view = try await json(["dispute", "show", disputeID, "--api-key", payer.apiKey] + url, dir)
        let panel = try #require(view["dispute"]?["panel"]?.arrayValue)
        let panelIDs = panel.compactMap { $0.stringValue }
        #expect(panelIDs.count == 3)
        let seated = arbiters.filter { panelIDs.contains($0.value.id) }.keys.sorted()
        let outsider = try #require(arbiters.keys.first { !seated.contains($0) })
        for name in seated {
            let mine = try await json(["dispute", "list", "--mine", "--api-key", arbiters[name]!.apiKey] + url, dir)
            #expect(mine["items"]?.arrayValue?.map { $0["id"]?.stringValue } == [disputeID], "\(name)")
        }
        let notMine = try await json(["dispute", "list", "--mine", "--api-key", arbiters[outsider]!.apiKey] + url, dir)
        #expect(notMine["items"]?.arrayValue?.isEmpty == true)
        let table = try await runKura(
            ["dispute", "list", "--mine", "--api-key", arbiters[seated[0]]!.apiKey] + url, in: dir)
        #expect(table.status == 0 && table.stdout.contains(disputeID) && table.stdout.contains("0/3"), "\(table)")

        // The payee answers; deliberation starts at once.
        let answered = try await json(
            [
                "dispute", "evidence", disputeID, "--digest", String(repeating: "ef", count: 32), "--statement",
                "the missing rows were filtered as the spec asked", "--api-key", payee.apiKey,
            ] + url, dir)
        #expect(answered["state"]?.stringValue == "deliberating")

        func rule(_ name: String, key: String? = nil, _ decision: [String]) async throws -> CLIResult {
            try await runKura(
                ["dispute", "rule", disputeID] + decision + [
                    "--reason", "ruling by \(name)", "--key", key ?? "\(name).key", "--arbiter", arbiters[name]!.id,
                    "--api-key", arbiters[name]!.apiKey,
                ] + url, in: dir)
        }
        let (first, second, third) = (seated[0], seated[1], seated[2])
        let outsiderRuling = try await rule(outsider, ["--refund-bps", "10000"])
        #expect(
            outsiderRuling.status == 69 && outsiderRuling.stderr.hasPrefix("kura: not_on_panel:"), "\(outsiderRuling)")
        let forged = try await rule(first, key: "\(second).key", ["--refund-bps", "2000"])
        #expect(forged.status == 69 && forged.stderr.hasPrefix("kura: invalid_signature:"), "\(forged)")
        let ruled = try await rule(first, ["--refund-bps", "2000"])
        #expect(ruled.status == 0, "\(ruled)")
        let twice = try await rule(first, ["--refund-bps", "3000"])
        #expect(twice.status == 75 && twice.stderr.hasPrefix("kura: already_ruled:"), "\(twice)")
        let majority = try await rule(second, ["--quality", "50"])
        #expect(majority.status == 0 && majority.stdout.contains("decided 4750 bps"), "\(majority)")
        let late = try await rule(third, ["--refund-bps", "0"])
        // Refused as decided; or, on a loaded machine where the one-second appeal window has already passed,
        // as resolved by the sweeper.
        #expect(
            late.status == 75
                && (late.stderr.hasPrefix("kura: invalid_transition:")
                    || late.stderr.hasPrefix("kura: dispute_not_open:")),
            "\(late)")

        // The one-second appeal window closes; the server's sweeper splits the held amount.
        var state = ""
        for _ in 0..<100 where state != "resolved" {
            try await Task.sleep(for: .milliseconds(100))
            state =
                try await json(["escrow", "show", escrowID, "--api-key", payer.apiKey] + url, dir)["state"]?
                .stringValue ?? ""
        }
        #expect(state == "resolved")
        // 200000: fee 2000 (100 bps), then 4750 bps of 198000 = 94050 back to the payer, 103950 to the payee.
        let payerBalance = try await json(["balance", payer.id, "--api-key", payer.apiKey] + url, dir)
        #expect(payerBalance["balances"]?.arrayValue?.first?["available"]?.uint64Value == 894_050)
        let payeeBalance = try await json(["balance", payee.id, "--api-key", payee.apiKey] + url, dir)
        #expect(payeeBalance["balances"]?.arrayValue?.first?["available"]?.uint64Value == 103_950)
        let appeal = try await runKura(["dispute", "appeal", disputeID, "--api-key", payee.apiKey] + url, in: dir)
        #expect(appeal.status == 75 && appeal.stderr.hasPrefix("kura: dispute_not_open:"), "\(appeal)")
        let receipts = try await json(["receipts", "list"] + url + ["--api-key", payer.apiKey], dir)
        let kinds = receipts["items"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.filter { $0 == "dispute.ruled" }.count == 2 && kinds.contains("dispute.resolved"), "\(kinds)")
        #expect(try await server.terminate() == 0)
        #expect(try await runKura(["log", "verify", "--db", dir.path("d.sqlite")], in: dir).status == 0)
    }
}
