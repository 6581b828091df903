import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `kura receipts bundle|verify` and `kura log checkpoint|consistency`, run as the real binary on a database
/// built with the CLI in local mode. Verification runs in a directory with no database: it is offline.
@Suite("receipts on the command line")
struct ReceiptCLITests {
    /// A database made with the CLI: alice locks 250,000 USDC for bob, bob delivers, alice confirms. `cp1`
    /// is the checkpoint after the lock (1 receipt), `cp2` after the confirmation (3 receipts); `b0.json`
    /// to `b2.json` are the bundles of the three receipts and `vkey` the verifier key.
    struct World {
        let dir: TemporaryDirectory
        let db = "kura.sqlite"

        static func make(_ label: String = #function) async throws -> World {
            let world = World(dir: try TemporaryDirectory(label))
            do {
                try await world.build()
                return world
            } catch {
                world.dir.remove()
                throw error
            }
        }

        private func build() async throws {
            _ = try await ok(["init", "--db", db, "--json"])
            _ = try await ok(["keys", "generate", "--out", "alice.key", "--name", "alice"])
            _ = try await ok(["keys", "generate", "--out", "bob.key", "--name", "bob"])
            let alice = try await partyID([
                "party", "add", "--name", "alice", "--role", "agent", "--key-file", "alice.key",
            ])
            let bob = try await partyID([
                "party", "add", "--name", "bob", "--role", "provider", "--key-file", "bob.key",
            ])
            _ = try await ok(["deposit", alice, "--asset", "USDC", "--amount", "1000000", "--db", db])
            let opened = try await ok([
                "escrow", "open", "--as", alice, "--payee", bob, "--amount", "250000", "--asset", "USDC",
                "--deliver-within", "3600", "--db", db, "--json",
            ])
            let escrow = try #require(try JSONValue.parse(opened.stdout)["id"]?.stringValue)
            try dir.write("cp1", try await ok(["log", "checkpoint", "--db", db]).stdout)
            let evidence = Hex.encode(SHA256.hash(Array("forecast for Osaka, 200 OK".utf8)))
            _ = try await ok(["escrow", "deliver", escrow, "--evidence", evidence, "--as", bob, "--db", db])
            _ = try await ok(["escrow", "confirm", escrow, "--as", alice, "--db", db])
            try dir.write("cp2", try await ok(["log", "checkpoint", "--db", db]).stdout)
            for index in 0..<3 {
                _ = try await ok(["receipts", "bundle", "\(index)", "--db", db, "--out", "b\(index).json"])
            }
            try dir.write("vkey", try await ok(["keys", "show", "--key", "\(db).key"]).stdout)
        }

        /// Runs `kura` in the world's directory and requires exit 0.
        func ok(_ arguments: [String]) async throws -> CLIResult {
            let result = try await runKura(arguments, in: dir)
            try #require(result.status == 0 && !result.crashed, "kura \(arguments.joined(separator: " ")): \(result)")
            return result
        }

        private func partyID(_ arguments: [String]) async throws -> String {
            let result = try await ok(arguments + ["--db", db, "--json"])
            return try #require(try JSONValue.parse(result.stdout)["party"]?["id"]?.stringValue)
        }

        /// A directory holding copies of `files` and no database.
        func offlineCopy(_ files: [String]) throws -> TemporaryDirectory {
            let offline = try TemporaryDirectory("offline")
            for file in files { try FileManager.default.copyItem(atPath: dir.path(file), toPath: offline.path(file)) }
            return offline
        }
    }

    /// One tampered copy of `b1.json` and the check `kura receipts verify` must name.
    struct Tampering: Sendable, CustomTestStringConvertible {
        let file: String
        let check: String
        let change: @Sendable (JSONValue) throws -> JSONValue
        var testDescription: String { "\(file) → \(check)" }
    }

    static func noteLines(_ bundle: JSONValue) throws -> [String] {
        try #require(bundle["checkpoint"]?.stringValue).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
    }

    static func withNote(_ bundle: JSONValue, _ change: (inout [String]) throws -> Void) throws -> JSONValue {
        var lines = try noteLines(bundle)
        try change(&lines)
        return bundle.setting(["checkpoint"], .string(lines.joined(separator: "\n")))
    }

    static let tamperings: [Tampering] = [
        Tampering(file: "t-amount.json", check: "proof") { $0.setting(["receipt", "amount"], 250_001) },
        Tampering(file: "t-payee.json", check: "proof") {
            $0.setting(["receipt", "payee"], .string("pty_" + String(repeating: "1", count: 22)))
        },
        Tampering(file: "t-ontime.json", check: "proof") { $0.setting(["receipt", "onTime"], false) },
        Tampering(file: "t-receipt-index.json", check: "leaf") { $0.setting(["receipt", "index"], 2) },
        Tampering(file: "t-proof-hash.json", check: "proof") { bundle in
            var hashes = try #require(bundle["proof"]?["hashes"]?.arrayValue)
            var bytes = try #require(hashes[0].stringValue.flatMap(Base64.decode))
            bytes[0] ^= 0x01
            hashes[0] = .string(Base64.encode(bytes))
            return bundle.setting(["proof", "hashes"], .array(hashes))
        },
        Tampering(file: "t-leaf-index.json", check: "leaf") { $0.setting(["proof", "leafIndex"], 0) },
        Tampering(file: "t-leaf-index-size.json", check: "size") { $0.setting(["proof", "leafIndex"], 3) },
        Tampering(file: "t-tree-size.json", check: "size") { $0.setting(["proof", "treeSize"], 4) },
        Tampering(file: "t-note-size.json", check: "signature") { try withNote($0) { $0[1] = "4" } },
        Tampering(file: "t-note-root.json", check: "signature") {
            try withNote($0) { $0[2] = Base64.encode(MerkleHash.leaf(Array("another tree".utf8))) }
        },
        Tampering(file: "t-signature.json", check: "signature") {
            try withNote($0) { lines in
                var parts = lines[4].split(separator: " ").map(String.init)
                var raw = try #require(Base64.decode(parts[2]))
                raw[40] ^= 0x04
                parts[2] = Base64.encode(raw)
                lines[4] = parts.joined(separator: " ")
            }
        },
        Tampering(file: "t-key-name.json", check: "key name") {
            try withNote($0) { $0[4] = $0[4].replacingOccurrences(of: "kura.local/log", with: "kura.evil/log") }
        },
        Tampering(file: "t-extra-member.json", check: "malformed") { $0.setting(["note"], "trust me") },
    ]

    @Test("a bundle exported by the CLI verifies offline; each tampered copy exits 65 naming the failed check")
    func verifyBundles() async throws {
        let world = try await World.make()
        defer { world.dir.remove() }
        let bundle = try JSONValue.parse(try world.dir.read("b1.json"))
        var files = ["b0.json", "b1.json", "b2.json", "vkey"]
        for tampering in Self.tamperings {
            try world.dir.write(tampering.file, json: try tampering.change(bundle))
            files.append(tampering.file)
        }
        try world.dir.write("not-json.json", "{\"receipt\": ")
        files.append("not-json.json")
        let offline = try world.offlineCopy(files)
        defer { offline.remove() }
        #expect(!FileManager.default.fileExists(atPath: offline.path(world.db)))

        let one = try await runKura(["receipts", "verify", "b1.json", "--key", "vkey"], in: offline)
        #expect(one.status == 0, "\(one)")
        #expect(one.stdout.hasPrefix("ok:"), "\(one)")
        #expect(one.stdout.contains("against kura.local/log (tree size 3, root "), "\(one)")
        let all = try await runKura(
            ["receipts", "verify", "b0.json", "b1.json", "b2.json", "--key", "vkey"], in: offline)
        #expect(all.status == 0 && all.stdout.hasPrefix("ok: 3 bundle(s) verified"), "\(all)")
        // The key may also be given as its text.
        let keyText = try offline.read("vkey").trimmingCharacters(in: .whitespacesAndNewlines)
        let inline = try await runKura(["receipts", "verify", "b2.json", "--key", keyText], in: offline)
        #expect(inline.status == 0 && inline.stdout.hasPrefix("ok:"), "\(inline)")

        for tampering in Self.tamperings {
            let result = try await runKura(["receipts", "verify", tampering.file, "--key", "vkey"], in: offline)
            #expect(result.status == 65, "\(tampering.file): \(result)")
            #expect(!result.crashed)
            #expect(result.stdout == "", "\(tampering.file)")
            let prefix = "kura: verification_failed: \(tampering.file): \(tampering.check): "
            #expect(result.stderr.hasPrefix(prefix), "\(tampering.file): expected \(prefix)…, got \(result.stderr)")
            #expect(result.stderrLines.count == 1, "\(tampering.file): \(result.stderr)")
        }
        let notJSON = try await runKura(["receipts", "verify", "not-json.json", "--key", "vkey"], in: offline)
        #expect(notJSON.status == 65)
        #expect(notJSON.stderr.hasPrefix("kura: verification_failed: not-json.json: malformed: not JSON"), "\(notJSON)")
        // Among several bundles, the failing one is named.
        let mixed = try await runKura(
            ["receipts", "verify", "b0.json", "t-amount.json", "b2.json", "--key", "vkey"], in: offline)
        #expect(mixed.status == 65)
        #expect(mixed.stderr.hasPrefix("kura: verification_failed: t-amount.json: proof: "), "\(mixed)")
    }

    /// Review finding: two bundles whose checkpoints Kura signed for one tree size with two roots both verified,
    /// and the command exited 0: it held the proof of a split view (two histories shown to two parties) and did
    /// not say so.
    @Test("two bundles signed for one tree size with different roots exit 65: a split view")
    func splitView() async throws {
        let world = try await World.make()
        defer { world.dir.remove() }
        // Another history of the same size, signed by the same key: a log that forked.
        let fork = "fork.sqlite"
        _ = try await world.ok(["init", "--db", fork, "--json"])
        try world.dir.write("\(fork).key", try world.dir.read("\(world.db).key"))
        func party(_ name: String, _ role: String, _ key: String) async throws -> String {
            let added = try await world.ok([
                "party", "add", "--name", name, "--role", role, "--key-file", key, "--db", fork, "--json",
            ])
            return try #require(try JSONValue.parse(added.stdout)["party"]?["id"]?.stringValue)
        }
        let carol = try await party("carol", "agent", "alice.key")
        let dan = try await party("dan", "provider", "bob.key")
        _ = try await world.ok(["deposit", carol, "--asset", "USDC", "--amount", "1000000", "--db", fork])
        for amount in ["1000", "2000", "3000"] {
            _ = try await world.ok([
                "escrow", "open", "--as", carol, "--payee", dan, "--amount", amount, "--asset", "USDC",
                "--deliver-within", "3600", "--db", fork, "--json",
            ])
        }
        _ = try await world.ok(["receipts", "bundle", "0", "--db", fork, "--out", "f0.json"])
        let offline = try world.offlineCopy(["b1.json", "f0.json", "vkey"])
        defer { offline.remove() }
        for alone in ["b1.json", "f0.json"] {
            let result = try await runKura(["receipts", "verify", alone, "--key", "vkey"], in: offline)
            #expect(result.status == 0 && result.stdout.contains("tree size 3"), "\(alone): \(result)")
        }
        let both = try await runKura(["receipts", "verify", "b1.json", "f0.json", "--key", "vkey"], in: offline)
        #expect(both.status == 65, "\(both)")
        #expect(both.stderr.hasPrefix("kura: verification_failed: f0.json: split view: "), "\(both)")
    }

    @Test("verifying with another key, or another key under the same name, exits 65 naming the key name")
    func wrongKey() async throws {
        let world = try await World.make()
        defer { world.dir.remove() }
        _ = try await world.ok(["keys", "generate", "--out", "other.key", "--name", "other.kura/log"])
        _ = try await world.ok(["keys", "generate", "--out", "same-name.key", "--name", "kura.local/log"])
        try world.dir.write("other.vkey", try await world.ok(["keys", "show", "--key", "other.key"]).stdout)
        try world.dir.write("same-name.vkey", try await world.ok(["keys", "show", "--key", "same-name.key"]).stdout)
        for key in ["other.vkey", "same-name.vkey"] {
            let result = try await runKura(["receipts", "verify", "b1.json", "--key", key], in: world.dir)
            #expect(result.status == 65, "\(key): \(result)")
            #expect(result.stderr.hasPrefix("kura: verification_failed: b1.json: key name: "), "\(key): \(result)")
        }
    }

    @Test("kura log consistency proves an old checkpoint is a prefix of a new one, and refuses a forged one")
    func consistency() async throws {
        let world = try await World.make()
        defer { world.dir.remove() }
        let cp1 = try world.dir.read("cp1")
        let cp2 = try world.dir.read("cp2")
        #expect(cp1.hasPrefix("kura.local/log\n1\n"))
        #expect(cp2.hasPrefix("kura.local/log\n3\n"))

        let result = try await runKura(
            ["log", "consistency", "cp1", "cp2", "--key", "vkey", "--db", world.db], in: world.dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "ok: size 1 is a prefix of size 3\n", "\(result)")
        // The same with sizes instead of files prints the proof itself.
        let sizes = try await runKura(["log", "consistency", "1", "3", "--db", world.db], in: world.dir)
        #expect(sizes.status == 0, "\(sizes)")
        let proof = try JSONValue.parse(sizes.stdout)
        #expect(proof["from"]?.uint64Value == 1 && proof["to"]?.uint64Value == 3)
        #expect(proof["hashes"]?.arrayValue?.count == 2)

        // A checkpoint whose root was changed no longer carries a valid signature.
        var lines = cp2.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2] = Base64.encode(MerkleHash.leaf(Array("forged".utf8)))
        try world.dir.write("forged", lines.joined(separator: "\n"))
        let forged = try await runKura(
            ["log", "consistency", "cp1", "forged", "--key", "vkey", "--db", world.db], in: world.dir)
        #expect(forged.status == 65, "\(forged)")
        #expect(forged.stderr.hasPrefix("kura: verification_failed: forged: signature: "), "\(forged)")
        // Sizes the wrong way round are a usage error.
        let backwards = try await runKura(
            ["log", "consistency", "cp2", "cp1", "--key", "vkey", "--db", world.db], in: world.dir)
        #expect(backwards.status == 64, "\(backwards)")
    }
}
