import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `kura` binary driving a whole escrow, first on a local file, then against a live `kura serve`.
@Suite("CLI end to end", .serialized)
struct CLIEndToEndTests {
    /// Runs `kura` and decodes its JSON stdout, requiring exit 0.
    func json(_ arguments: [String], _ dir: TemporaryDirectory) async throws -> JSONValue {
        let result = try await runKura(arguments + ["--json"], in: dir)
        try #require(result.status == 0, "\(arguments): \(result)")
        return try JSONValue.parse(result.stdout)
    }

    func id(_ value: JSONValue, _ path: String...) throws -> String {
        var node: JSONValue? = value
        for key in path { node = node?[key] }
        return try #require(node?.stringValue)
    }

    /// Registers payer and payee, deposits, and returns their IDs and API keys.
    func parties(_ dir: TemporaryDirectory, _ target: [String]) async throws -> (
        payer: String, payerKey: String, payee: String, payeeKey: String
    ) {
        _ = try await runKura(["keys", "generate", "--out", "payer.key", "--name", "payer"], in: dir)
        _ = try await runKura(["keys", "generate", "--out", "payee.key", "--name", "payee"], in: dir)
        let payer = try await json(
            ["party", "add", "--name", "payer", "--role", "agent", "--key-file", "payer.key"] + target, dir)
        let payee = try await json(
            ["party", "add", "--name", "payee", "--role", "provider", "--key-file", "payee.key"] + target, dir)
        let payerID = try id(payer, "party", "id")
        let deposit = try await json(["deposit", payerID, "--asset", "USDC", "--amount", "100000"] + target, dir)
        #expect(deposit["balances"]?.arrayValue?.first?["available"]?.uint64Value == 100_000)
        return (payerID, try id(payer, "apiKey"), try id(payee, "party", "id"), try id(payee, "apiKey"))
    }

    /// Review finding: `kura serve` reads its dispute policy from flags, `KURA_DISPUTE_*` and its configuration file,
    /// local commands from flags only: a dispute opened with `--db`, or moved on by `kura sweep` beside the server,
    /// got the default windows and default split whatever the operator had set.
    @Test("local commands and kura sweep read the dispute policy from KURA_DISPUTE_* as kura serve does")
    func disputePolicyFromEnvironment() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = ["--db", dir.path("k.sqlite")]
        _ = try await json(["init"] + db, dir)
        let p = try await parties(dir, db)
        func run(_ arguments: [String], _ policy: [String]) async throws -> JSONValue {
            let result = try await runProgram(
                URL(fileURLWithPath: "/usr/bin/env"),
                policy + [try KuraBinary.require().path] + arguments + db
                    + ["--json"], in: dir)
            try #require(result.status == 0, "\(arguments): \(result)")
            return try JSONValue.parse(result.stdout)
        }
        /// An escrow opened and delivered, ready to be disputed.
        func delivered() async throws -> String {
            let escrow = try await json(
                [
                    "escrow", "open", "--payee", p.payee, "--amount", "10000", "--asset", "USDC", "--deliver-within",
                    "3600", "--as", p.payer,
                ] + db, dir)
            let escrowID = try id(escrow, "id")
            _ = try await json(
                ["escrow", "deliver", escrowID, "--evidence", Hex.encode(SHA256.hash("r")), "--as", p.payee] + db, dir)
            return escrowID
        }
        let escrowID = try await delivered()
        _ = try await run(
            ["escrow", "dispute", escrowID, "--reason", "empty", "--as", p.payer], ["KURA_DISPUTE_RESPONSE_WINDOW=1"])
        let disputes = try await json(["dispute", "list"] + db, dir)
        let disputeID = try #require(
            (disputes["items"]?.arrayValue ?? disputes.arrayValue)?.first?["id"]?.stringValue, "\(disputes)")
        let opened = try await json(["dispute", "show", disputeID] + db, dir)
        let openedAt = try #require(opened["dispute"]?["openedAt"]?.int64Value)
        let responseDueAt = try #require(opened["dispute"]?["responseDueAt"]?.int64Value)
        #expect(responseDueAt - openedAt == 1_000, "the response window from KURA_DISPUTE_RESPONSE_WINDOW")
        try await Task.sleep(for: .milliseconds(1_200))
        _ = try await run(["sweep"], ["KURA_DISPUTE_RULING_WINDOW=7200"])
        let moved = try await json(["dispute", "show", disputeID] + db, dir)
        let rulingDueAt = try #require(moved["dispute"]?["rulingDueAt"]?.int64Value, "\(moved)")
        #expect(
            (7_200_000...7_260_000).contains(rulingDueAt - responseDueAt),
            "the ruling window from KURA_DISPUTE_RULING_WINDOW: \(rulingDueAt - responseDueAt) ms")

        // The server's configuration file, given to a local command as to `kura serve`.
        try Data("dispute-response-window = 5\n".utf8).write(to: URL(fileURLWithPath: dir.path("kura.conf")))
        let secondID = try await delivered()
        let disputed = try await json(
            ["escrow", "dispute", secondID, "--reason", "empty", "--as", p.payer, "--config", "kura.conf"] + db, dir)
        let secondDispute = try await json(
            ["dispute", "show", try #require(disputed["disputeId"]?.stringValue, "\(disputed)")] + db, dir)
        let window =
            try #require(secondDispute["dispute"]?["responseDueAt"]?.int64Value)
            - (try #require(secondDispute["dispute"]?["openedAt"]?.int64Value))
        #expect(window == 5_000, "the response window from --config")
    }

    @Test("local mode: init, parties, deposit, open, deliver, confirm, balances, verify, replay")
    func localMode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = ["--db", dir.path("k.sqlite")]
        let initialised = try await json(["init"] + db, dir)
        #expect(try id(initialised, "operatorApiKey").hasPrefix("kura_"))
        let p = try await parties(dir, db)
        let escrow = try await json(
            [
                "escrow", "open", "--payee", p.payee, "--amount", "10000", "--asset", "USDC", "--deliver-within",
                "3600", "--as", p.payer,
            ] + db, dir)
        let escrowID = try id(escrow, "id")
        #expect(escrow["state"]?.stringValue == "locked")
        let evidence = Hex.encode(SHA256.hash("the response"))
        let delivered = try await json(
            ["escrow", "deliver", escrowID, "--evidence", evidence, "--as", p.payee] + db, dir)
        #expect(delivered["state"]?.stringValue == "delivered")
        let refused = try await runKura(["escrow", "confirm", escrowID, "--as", p.payee] + db, in: dir)
        #expect(refused.status == 69 && refused.stderr.hasPrefix("kura: forbidden:"), "\(refused)")
        let released = try await json(["escrow", "confirm", escrowID, "--as", p.payer] + db, dir)
        #expect(released["state"]?.stringValue == "released" && released["fee"]?.uint64Value == 50)
        let payee = try await json(["balance", p.payee] + db, dir)
        #expect(payee["balances"]?.arrayValue?.first?["available"]?.uint64Value == 9_950)
        let payer = try await json(["balance", p.payer] + db, dir)
        #expect(payer["balances"]?.arrayValue?.first?["available"]?.uint64Value == 90_000)
        let list = try await json(["escrow", "list", "--as", p.payer] + db, dir)
        #expect(list["items"]?.arrayValue?.count == 1)
        #expect(try await runKura(["log", "verify"] + db, in: dir).status == 0)
        let replay = try await json(["replay"] + db, dir)
        #expect(replay["identical"]?.boolValue == true)
        let tooMuch = try await runKura(
            [
                "escrow", "open", "--payee", p.payee, "--amount", "999999", "--asset", "USDC", "--deliver-within", "60",
                "--as", p.payer,
            ] + db, in: dir)
        #expect(tooMuch.status == 69 && tooMuch.stderr.hasPrefix("kura: insufficient_funds:"), "\(tooMuch)")
        let missing = try await runKura(["escrow", "show", "esc_1111111111111111", "--as", p.payer] + db, in: dir)
        #expect(missing.status == 66, "\(missing)")
    }

    @Test("server mode: the same flow over HTTP with API keys, then a graceful SIGTERM")
    func serverMode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try await ServerProcess.start(database: dir.path("s.sqlite"), in: dir)
        let operatorKey = try String(contentsOfFile: dir.path("s.sqlite.operator-key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let url = ["--server", server.url]
        let asOperator = url + ["--api-key", operatorKey]
        let p = try await parties(dir, asOperator)
        let escrow = try await json(
            [
                "escrow", "open", "--payee", p.payee, "--amount", "2000", "--asset", "USDC", "--deliver-within", "3600",
                "--api-key", p.payerKey,
            ] + url, dir)
        let escrowID = try id(escrow, "id")
        _ = try await json(
            ["escrow", "deliver", escrowID, "--evidence", String(repeating: "ab", count: 32), "--api-key", p.payeeKey]
                + url, dir)
        let wrongParty = try await runKura(["escrow", "confirm", escrowID, "--api-key", p.payeeKey] + url, in: dir)
        #expect(wrongParty.status == 69 && wrongParty.stderr.hasPrefix("kura: forbidden:"), "\(wrongParty)")
        let released = try await json(["escrow", "confirm", escrowID, "--api-key", p.payerKey] + url, dir)
        #expect(released["state"]?.stringValue == "released")
        let payee = try await json(["balance", p.payee, "--api-key", p.payeeKey] + url, dir)
        #expect(payee["balances"]?.arrayValue?.first?["available"]?.uint64Value == 1_990)
        let badKey = try await runKura(["balance", p.payee, "--api-key", "kura_nope"] + url, in: dir)
        #expect(badKey.status == 69 && badKey.stderr.hasPrefix("kura: unauthenticated:"), "\(badKey)")
        let status = try await server.terminate()
        #expect(status == 0)
        #expect(server.output().contains("stopped; database closed"))
        #expect(try await runKura(["log", "verify", "--db", dir.path("s.sqlite")], in: dir).status == 0)
    }
}

/// A `kura serve` child process on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let child: ChildProcess
    private var exitStatus: Int32?
    private let lock = NSLock()
    let outputPath: String
    let url: String

    private init(child: ChildProcess, outputPath: String, url: String) {
        self.child = child
        self.outputPath = outputPath
        self.url = url
    }

    static func start(database: String, in dir: TemporaryDirectory, arguments: [String] = []) async throws
        -> ServerProcess
    {
        try await launch(
            try KuraBinary.require(), ["serve", "--db", database, "--port", "0", "--log-level", "warning"] + arguments,
            name: "serve", in: dir)
    }

    /// Starts any of the package's servers and waits for its `listening on URL` line.
    static func launch(_ executable: URL, _ arguments: [String], name: String, in dir: TemporaryDirectory) async throws
        -> ServerProcess
    {
        let outputPath = dir.path("\(name).out")
        try? FileManager.default.removeItem(atPath: outputPath)
        let child = try ChildProcess.spawn(
            executable.path, arguments, in: dir.url.path, stdoutPath: outputPath, stderrPath: dir.path("\(name).err"))
        for _ in 0..<1200 {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                return ServerProcess(
                    child: child, outputPath: outputPath, url: String(line.dropFirst("listening on ".count)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        child.send(SIGKILL)
        _ = await child.wait()
        throw KuraError(.internalError, "\(executable.lastPathComponent) did not start")
    }

    func output() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for the exit status (SIGKILL after 10 s).
    func terminate() async throws -> Int32 {
        if let known = lock.withLock({ exitStatus }) { return known }
        child.send(SIGTERM)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            child.send(SIGKILL)
        }
        let (status, signaled) = await child.wait()
        watchdog.cancel()
        let result = signaled ? 128 + status : status
        lock.withLock { exitStatus = result }
        return result
    }
}
