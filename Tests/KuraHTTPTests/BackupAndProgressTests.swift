import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("kura backup, restore, and progress on a terminal", .serialized)
struct BackupAndProgressTests {
    /// `kura init` on `name` in `dir`; returns the database path and the operator's API key.
    static func initialise(_ name: String, in dir: TemporaryDirectory) async throws -> (db: String, key: String) {
        let db = dir.path(name)
        let result = try await runKura(["init", "--db", db, "--json"], in: dir)
        try #require(result.status == 0, "\(result)")
        return (db, try #require(try JSONValue.parse(result.stdout)["operatorApiKey"]?.stringValue))
    }

    @Test(
        "a backup taken while the server takes deposits verifies, is a prefix of the live log, and restores to a database whose read models replay identically"
    )
    func backupUnderLoad() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (db, key) = try await Self.initialise("live.sqlite", in: dir)
        let server = try await ServerProcess.start(database: db, in: dir)
        let party = try await live(
            "POST", server.url + "/v1/parties", headers: [("Authorization", "Bearer \(key)")],
            json: ["name": "payer", "roles": ["agent"], "publicKey": .string(TestKeys.publicKey("payer").base64)])
        let payer = try #require(party.json["party"]?["id"]?.stringValue, "\(party.body)")
        // Load: four writers depositing until told to stop.
        let load = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var done = 0
                        while !Task.isCancelled {
                            let answer = try await live(
                                "POST", server.url + "/v1/accounts/\(payer)/deposits",
                                headers: [("Authorization", "Bearer \(key)")], json: ["asset": "USDC", "amount": 7])
                            guard answer.status == 200 else { throw TestFailure("deposit: \(answer.body)") }
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        var copies: [(path: String, seq: UInt64, hash: String)] = []
        for name in ["copy-1.sqlite", "copy-2.sqlite"] {
            let backup = try await runKura(["backup", "--db", db, "--out", dir.path(name), "--json"], in: dir)
            #expect(backup.status == 0, "\(backup)")
            let report = try JSONValue.parse(backup.stdout)
            #expect(report["verified"] == true)
            copies.append(
                (
                    dir.path(name), try #require(report["headSeq"]?.uint64Value),
                    try #require(report["headHash"]?.stringValue)
                ))
            try await Task.sleep(for: .milliseconds(200))
        }
        load.cancel()
        let deposits = try? await load.value
        #expect(!FileManager.default.fileExists(atPath: dir.path("copy-1.sqlite.partial")))
        #expect(copies[1].seq > copies[0].seq, "the log grew between the backups: \(copies)")

        // Each copy is a prefix of the live log: the live event at the copy's head has the copy's hash.
        let liveLog = SQLReadSession(try SQLiteConnection(path: db, create: false, readOnly: true))
        for copy in copies {
            let event = try #require(try liveLog.events(after: copy.seq - 1, limit: 1).first)
            #expect(Hex.encode(event.hash) == copy.hash)
            let verified = try await runKura(["log", "verify", "--db", copy.path, "--json"], in: dir)
            #expect(verified.status == 0, "\(verified)")
            #expect(try JSONValue.parse(verified.stdout)["headSeq"]?.uint64Value == copy.seq)
        }
        #expect(try await server.terminate() == 0)
        #expect((deposits ?? 1) > 0)

        // Restore into a new place: the read models in the copy are those of its log (replay identical).
        let restored = dir.path("restored.sqlite")
        let restore = try await runKura(["restore", "--from", copies[1].path, "--db", restored, "--json"], in: dir)
        #expect(restore.status == 0, "\(restore)")
        #expect(try JSONValue.parse(restore.stdout)["headSeq"]?.uint64Value == copies[1].seq)
        try FileManager.default.copyItem(atPath: db + ".key", toPath: restored + ".key")
        let replay = try await runKura(["replay", "--db", restored, "--json"], in: dir)
        #expect(replay.status == 0, "\(replay)")
        #expect(try JSONValue.parse(replay.stdout)["identical"] == true)
        #expect(try JSONValue.parse(replay.stdout)["events"]?.uint64Value == copies[1].seq)
    }

    @Test(
        "restore refuses a copy that does not verify, an existing database without --force, and a database in use; backup refuses to overwrite"
    )
    func refusals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (db, _) = try await Self.initialise("live.sqlite", in: dir)
        let copy = dir.path("copy.sqlite")
        #expect(try await runKura(["backup", "--db", db, "--out", copy], in: dir).status == 0)
        let again = try await runKura(["backup", "--db", db, "--out", copy], in: dir)
        #expect(again.status == 75 && again.stderr.contains("already exists"), "\(again)")

        // A copy with one event rewritten: SQLite finds nothing wrong, the chain does.
        let tampered = dir.path("tampered.sqlite")
        try FileManager.default.copyItem(atPath: copy, toPath: tampered)
        do {
            let raw = try SQLiteConnection(path: tampered, create: false)
            try raw.execute("DROP TRIGGER events_refuse_update")
            try raw.execute("UPDATE events SET at = at + 1 WHERE seq = 1")
        }
        let target = dir.path("target.sqlite")
        let refused = try await runKura(["restore", "--from", tampered, "--db", target], in: dir)
        #expect(refused.status == 65 && refused.stderr.hasPrefix("kura: chain_broken:"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: target))
        // Not a database at all.
        try "not sqlite".write(toFile: dir.path("junk.sqlite"), atomically: true, encoding: .utf8)
        let junk = try await runKura(["restore", "--from", dir.path("junk.sqlite"), "--db", target], in: dir)
        #expect(junk.status == 65, "\(junk)")
        #expect(!FileManager.default.fileExists(atPath: target))

        let exists = try await runKura(["restore", "--from", copy, "--db", db], in: dir)
        #expect(exists.status == 75 && exists.stderr.contains("--force"), "\(exists)")
        let server = try await ServerProcess.start(database: db, in: dir)
        let inUse = try await runKura(["restore", "--from", copy, "--db", db, "--force"], in: dir)
        #expect(inUse.status == 75 && inUse.stderr.contains("stop the server"), "\(inUse)")
        #expect(try await live("GET", server.url + "/readyz").status == 200)
        #expect(try await server.terminate() == 0)
        let replaced = try await runKura(["restore", "--from", copy, "--db", db, "--force"], in: dir)
        #expect(replaced.status == 0, "\(replaced)")
        #expect(try await runKura(["log", "verify", "--db", db], in: dir).status == 0)
    }

    @Test(
        "long work shows progress with a rate and an estimate on a terminal's stderr, and none with --json or off a terminal"
    )
    func progressOnATerminal() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A log of 20,000 events, written in one command.
        let big = dir.path("big.sqlite")
        do {
            let store = try EventStore(backend: SQLiteBackend(.init(path: big, create: true, durable: false)))
            defer { store.close() }
            _ = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Int in
                for i in 0..<20_000 {
                    _ = try tx.append(
                        NewEvent(stream: "test/\(i % 50)", type: "test.appended", payload: ["n": .number(Double(i))]),
                        actor: "pty_tester", commandId: "cmd-\(i)", at: Timestamp(milliseconds: 1_732_400_000_000))
                }
                return 0
            }
        }
        let terminal = try PseudoTerminal()
        let verify = try await terminal.runKura(["log", "verify", "--db", big], in: dir)
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("ok: 20000 events"))
        #expect(verify.terminal.contains("\r\u{1B}[2Klog verify"), "\(verify.terminal.debugDescription)")
        #expect(verify.terminal.contains("%") && verify.terminal.contains("/20,000 events"))
        #expect(
            verify.terminal.contains("/s") && verify.terminal.contains("eta "), "\(verify.terminal.debugDescription)")
        #expect(verify.terminal.contains("log verify  20,000 events in "))

        let json = try await terminal.runKura(["log", "verify", "--db", big, "--json"], in: dir)
        #expect(json.status == 0 && json.terminal.isEmpty, "\(json.terminal.debugDescription)")
        #expect(try JSONValue.parse(json.stdout)["events"]?.uint64Value == 20_000)
        let offTerminal = try await runKura(["log", "verify", "--db", big], in: dir)
        #expect(offTerminal.status == 0 && offTerminal.stderr.isEmpty)

        // replay, receipts export and reputation compute on a real database with receipts.
        let (db, _) = try await Self.initialise("k.sqlite", in: dir)
        var ids: [String] = []
        for (name, role) in [("payer", "agent"), ("payee", "provider")] {
            _ = try await runKura(["keys", "generate", "--out", "\(name).key", "--name", name], in: dir)
            let added = try await runKura(
                ["party", "add", "--name", name, "--role", role, "--key-file", "\(name).key", "--db", db, "--json"],
                in: dir)
            ids.append(try #require(try JSONValue.parse(added.stdout)["party"]?["id"]?.stringValue, "\(added)"))
        }
        #expect(
            try await runKura(["deposit", ids[0], "--asset", "USDC", "--amount", "1000", "--db", db], in: dir).status
                == 0)
        let opened = try await runKura(
            [
                "escrow", "open", "--payee", ids[1], "--amount", "100", "--asset", "USDC", "--deliver-within", "3600",
                "--as", ids[0], "--db", db,
            ], in: dir)
        #expect(opened.status == 0, "\(opened)")
        let replay = try await terminal.runKura(["replay", "--db", db], in: dir)
        #expect(replay.status == 0, "\(replay)")
        #expect(replay.terminal.contains("replay  "), "\(replay.terminal.debugDescription)")
        let replayJSON = try await terminal.runKura(["replay", "--db", db, "--json"], in: dir)
        #expect(replayJSON.status == 0 && replayJSON.terminal.isEmpty)

        let export = try await terminal.runKura(["receipts", "export", "--out", "r.jsonl", "--db", db], in: dir)
        #expect(export.status == 0, "\(export)")
        #expect(export.terminal.contains("receipts export  "), "\(export.terminal.debugDescription)")
        let compute = try await terminal.runKura(["reputation", "compute", "--receipts", "r.jsonl"], in: dir)
        #expect(compute.status == 0, "\(compute)")
        #expect(compute.terminal.contains("reputation compute  "), "\(compute.terminal.debugDescription)")
        #expect(compute.terminal.contains(" B in ") || compute.terminal.contains("kB in "))
        let computeJSON = try await terminal.runKura(
            ["reputation", "compute", "--receipts", "r.jsonl", "--json"], in: dir)
        #expect(computeJSON.status == 0 && computeJSON.terminal.isEmpty)
    }
}
