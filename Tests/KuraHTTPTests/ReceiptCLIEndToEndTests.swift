import AsyncHTTPClient
import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import NIOCore
import Testing

/// The whole promise of the receipt log, with real processes: a bundle fetched from a live `kura serve`
/// verifies with the `kura` CLI offline, with nothing but the verifier key.
@Suite("receipts end to end: live server, offline verification")
struct ReceiptCLIEndToEndTests {
    /// Runs `kura` with `--json` and decodes stdout, requiring exit 0.
    func json(_ arguments: [String], _ dir: TemporaryDirectory) async throws -> JSONValue {
        let result = try await runKura(arguments + ["--json"], in: dir)
        try #require(result.status == 0, "\(arguments): \(result)")
        return try JSONValue.parse(result.stdout)
    }

    /// `GET url` with no credentials: status and body text.
    func get(_ url: String) async throws -> (status: UInt, text: String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: url), timeout: HTTPFixture.requestTimeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    @Test("kura receipts bundle --server, then kura receipts verify offline with the served key")
    func bundleVerifiesOffline() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let offline = try TemporaryDirectory("offline")
        defer { offline.remove() }
        let server = try await ServerProcess.start(database: dir.path("s.sqlite"), in: dir)
        do {
            let operatorKey = try String(contentsOfFile: dir.path("s.sqlite.operator-key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let url = ["--server", server.url]
            let asOperator = url + ["--api-key", operatorKey]
            _ = try await runKura(["keys", "generate", "--out", "payer.key", "--name", "payer"], in: dir)
            _ = try await runKura(["keys", "generate", "--out", "payee.key", "--name", "payee"], in: dir)
            let payer = try await json(
                ["party", "add", "--name", "payer", "--role", "agent", "--key-file", "payer.key"] + asOperator, dir)
            let payee = try await json(
                ["party", "add", "--name", "payee", "--role", "provider", "--key-file", "payee.key"] + asOperator, dir)
            let payerID = try #require(payer["party"]?["id"]?.stringValue)
            let payerKey = try #require(payer["apiKey"]?.stringValue)
            let payeeID = try #require(payee["party"]?["id"]?.stringValue)
            _ = try await json(["deposit", payerID, "--asset", "USDC", "--amount", "5000"] + asOperator, dir)
            let escrow = try await json(
                [
                    "escrow", "open", "--payee", payeeID, "--amount", "1200", "--asset", "USDC", "--deliver-within",
                    "3600",
                    "--api-key", payerKey,
                ] + url, dir)
            #expect(escrow["state"]?.stringValue == "locked")

            let bundled = try await runKura(
                ["receipts", "bundle", "0", "--server", server.url, "--api-key", payerKey, "--out", "b.json"], in: dir)
            #expect(bundled.status == 0, "\(bundled)")

            // The key a stranger fetches, with no credentials, is the one the operator's key file holds.
            let served = try await get(server.url + "/v1/log/key")
            #expect(served.status == 200)
            let shown = try await runKura(["keys", "show", "--key", "s.sqlite.key"], in: dir)
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.stdout == served.text, "keys show: \(shown.stdout) served: \(served.text)")
            let receipt = try await get(server.url + "/v1/receipts/0")
            #expect(receipt.status == 200)

            #expect(try await server.terminate() == 0)

            // Offline: the server is gone, and the directory holds only the bundle and the key.
            let bundle = try Data(contentsOf: URL(fileURLWithPath: dir.path("b.json")))
            try bundle.write(to: offline.url.appendingPathComponent("b.json"))
            try Data(served.text.utf8).write(to: offline.url.appendingPathComponent("kura.vkey"))
            let verified = try await runKura(["receipts", "verify", "b.json", "--key", "kura.vkey"], in: offline)
            #expect(verified.status == 0, "\(verified)")
            #expect(verified.stdout.hasPrefix("ok:"), "\(verified)")
            #expect(offline.contents() == ["b.json", "kura.vkey"])

            // The bundle holds the receipt the server served, byte for byte.
            let parsed = try JSONValue.parse([UInt8](bundle))
            #expect(try parsed["receipt"]?.canonicalBytes() == Array(receipt.text.utf8))

            // And a changed receipt is caught, naming the proof.
            var top = try #require(parsed.objectValue)
            var changed = try #require(top["receipt"]?.objectValue)
            changed["amount"] = 1
            top["receipt"] = .object(changed)
            try Data(try JSONValue.object(top).canonicalBytes()).write(to: offline.url.appendingPathComponent("t.json"))
            let tampered = try await runKura(["receipts", "verify", "t.json", "--key", "kura.vkey"], in: offline)
            #expect(tampered.status != 0 && tampered.stderr.contains("proof"), "\(tampered)")
        } catch {
            _ = try? await server.terminate()
            throw error
        }
    }
}
