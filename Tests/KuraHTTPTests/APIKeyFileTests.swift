import Foundation
import KuraClient
import KuraTesting
import Testing

/// Issue 14, finding 9: `--api-key` is visible to every user in `ps`. The key may come from a file or the
/// environment instead, and the help says so.
@Suite("API keys off the command line")
struct APIKeyFileTests {
    @Test("--api-key-file (first line), else --api-key, else KURA_API_KEY; an unreadable or empty file is an error")
    func resolution() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.path("key")
        try "kura_fromfile\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        let env = ["KURA_API_KEY": "kura_fromenv"]
        #expect(try APIKeySource.resolve(flag: "kura_flag", file: file, environment: env) == "kura_fromfile")
        #expect(try APIKeySource.resolve(flag: "kura_flag", file: nil, environment: env) == "kura_flag")
        #expect(try APIKeySource.resolve(flag: nil, file: nil, environment: env) == "kura_fromenv")
        #expect(try APIKeySource.resolve(flag: nil, file: nil, environment: [:]) == nil)
        #expect(throws: APIKeyFileError.self) {
            try APIKeySource.resolve(flag: nil, file: dir.path("none"), environment: [:])
        }
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: APIKeyFileError.self) { try APIKeySource.resolve(flag: nil, file: file, environment: [:]) }
    }

    @Test("kura --server works with --api-key-file, and the help of both programs offers it and warns about ps")
    func overHTTP() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try await ServerProcess.start(database: dir.path("s.sqlite"), in: dir)
        let keyFile = dir.path("s.sqlite.operator-key")
        let operatorID = try #require(
            server.output().split(separator: " ").first { $0.hasPrefix("pty_") }.map(String.init))
        let balance = try await runKura(
            ["balance", operatorID, "--server", server.url, "--api-key-file", keyFile, "--json"], in: dir)
        #expect(balance.status == 0 && balance.stdout.contains(operatorID), "\(balance)")
        let account = try await runKura(["balance", "--help"], in: dir)
        #expect(account.stdout.contains("--api-key-file") && account.stdout.contains("ps"), "\(account.stdout)")
        let wrong = try await runKura(
            ["balance", "pty_2p8fVYk6nZ1q", "--server", server.url, "--api-key-file", dir.path("missing")], in: dir)
        #expect(wrong.status != 0 && wrong.stderr.contains("cannot read the API key file"), "\(wrong)")
        _ = try await server.terminate()
        let provider = try await runProgram(
            try KuraBinary.require().deletingLastPathComponent().appendingPathComponent("kura-example-provider"),
            ["--help"], in: dir)
        #expect(provider.stdout.contains("--api-key-file"), "\(provider.stdout)")
    }
}
