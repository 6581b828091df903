import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

/// Plain-SQL tampering with a stored log, then the real `kura log verify` must name the first bad seq.
@Suite struct TamperTests {
    /// A database of 12 events over three streams, closed again; returns its head.
    static func makeLog(_ path: String) async throws -> LogHead {
        let store = try openStore(path, durable: false)
        defer { store.close() }
        for i in 1...12 {
            try await appendOne(
                store, stream: "escrow/esc_\(i % 3)", payload: ["memo": .string("tax \(i)"), "n": .number(Double(i))],
                commandId: "cmd-\(i)", at: 1_732_400_000_000 + Int64(i))
        }
        return try await store.head()
    }

    /// One way of tampering: the SQL, and the seq `log verify` must name with a word of its reason.
    struct Tampering: Sendable, CustomTestStringConvertible {
        let name: String
        let sql: String
        let badSeq: UInt64
        let reasonWord: String
        var testDescription: String { name }
    }

    static let tamperings = [
        Tampering(
            name: "one byte of a payload", sql: "UPDATE events SET payload = replace(payload, 'x', 'y') WHERE seq = 7",
            badSeq: 7, reasonWord: "hash"),
        Tampering(
            name: "the payload made non-canonical",
            sql: "UPDATE events SET payload = replace(payload, ':', ' : ') WHERE seq = 7",
            badSeq: 7, reasonWord: "hash"),
        Tampering(
            name: "a payload that is not JSON", sql: "UPDATE events SET payload = '{\"memo\":' WHERE seq = 7",
            badSeq: 7, reasonWord: "hash"),
        Tampering(
            name: "prev_hash", sql: "UPDATE events SET prev_hash = randomblob(32) WHERE seq = 7", badSeq: 7,
            reasonWord: "prevHash"),
        Tampering(
            name: "hash", sql: "UPDATE events SET hash = zeroblob(32) WHERE seq = 7", badSeq: 7, reasonWord: "hash"),
        Tampering(name: "at", sql: "UPDATE events SET at = at + 1 WHERE seq = 7", badSeq: 7, reasonWord: "hash"),
        Tampering(
            name: "actor", sql: "UPDATE events SET actor = 'pty_mallory' WHERE seq = 7", badSeq: 7, reasonWord: "hash"),
        Tampering(
            name: "type", sql: "UPDATE events SET type = 'escrow.released' WHERE seq = 7", badSeq: 7, reasonWord: "hash"
        ),
        Tampering(
            name: "command_id", sql: "UPDATE events SET command_id = 'other' WHERE seq = 7", badSeq: 7,
            reasonWord: "hash"),
        Tampering(
            name: "version", sql: "UPDATE events SET version = version + 100 WHERE seq = 7", badSeq: 7,
            reasonWord: "version"),
        Tampering(
            name: "a deleted middle row", sql: "DELETE FROM events WHERE seq = 7", badSeq: 7, reasonWord: "missing"),
        Tampering(
            name: "the first row deleted", sql: "DELETE FROM events WHERE seq = 1", badSeq: 1, reasonWord: "missing"),
        Tampering(
            name: "an appended row that is not chained",
            sql: "INSERT INTO events VALUES (13, 'new', 1, 't', '{}', 0, 'a', 'c', zeroblob(32), zeroblob(32))",
            badSeq: 13, reasonWord: "prevHash"),
    ]

    @Test("the untampered log verifies: exit 0, stdout starts with ok:, and --json gives the head")
    func untampered() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("log.sqlite")
        let head = try await Self.makeLog(db)
        let text = try await runKura(["log", "verify", "--db", db], in: dir)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.hasPrefix("ok:"))
        #expect(text.stdout.contains("12 events"))
        #expect(text.stdout.contains(Hex.encode(head.hash)))
        #expect(text.stderr.isEmpty)

        let json = try await runKura(["log", "verify", "--db", db, "--json"], in: dir)
        #expect(json.status == 0)
        let value = try JSONValue.parse(json.stdout.trimmingCharacters(in: .newlines))
        #expect(value["valid"] == true)
        #expect(value["events"]?.int64Value == 12)
        #expect(value["headSeq"]?.int64Value == 12)
        #expect(value["headHash"] == .string(Hex.encode(head.hash)))
    }

    @Test("kura log verify names the first bad seq (exit 65)", arguments: tamperings)
    func tampered(_ tampering: Tampering) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("log.sqlite")
        _ = try await Self.makeLog(db)
        do {
            let raw = try SQLiteConnection(path: db, create: false)
            try raw.execute("DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;")
            try raw.execute(tampering.sql)
            #expect(raw.changes == 1)
        }

        let result = try await runKura(["log", "verify", "--db", db], in: dir)
        #expect(result.status == 65, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.hasPrefix("kura: chain_broken: seq \(tampering.badSeq): "), "\(result)")
        #expect(result.stderr.contains(tampering.reasonWord), "\(result)")
        #expect(!result.crashed)

        let json = try await runKura(["log", "verify", "--db", db, "--json"], in: dir)
        #expect(json.status == 65)
        let value = try JSONValue.parse(json.stdout.trimmingCharacters(in: .newlines))
        #expect(value["valid"] == false)
        #expect(value["badSeq"]?.int64Value == Int64(tampering.badSeq))
        #expect(value["verified"]?.int64Value == Int64(tampering.badSeq - 1))

        // The library's own verify agrees with the command.
        let store = try openStore(db, create: false)
        defer { store.close() }
        let report = try await store.verify()
        #expect(report.failure?.seq == tampering.badSeq)
        #expect(report.count == tampering.badSeq - 1)
    }

    /// Rewriting an event together with a correct new hash moves the break to the next link.
    @Test("an event rewritten with a recomputed hash is caught at the next seq")
    func rewrittenWithValidHash() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("log.sqlite")
        _ = try await Self.makeLog(db)
        let store = try openStore(db, create: false)
        let original = try #require(try await store.events(after: 6, limit: 1).first)
        store.close()
        #expect(original.seq == 7)
        let forged = try Event(
            seq: 7, stream: original.stream, version: original.version, type: original.type,
            payload: ["memo": "tax 7000", "n": 7], at: original.at, actor: original.actor,
            commandId: original.commandId,
            prevHash: original.prevHash)
        do {
            let raw = try SQLiteConnection(path: db, create: false)
            try raw.execute("DROP TRIGGER events_refuse_update")
            try raw.run(
                "UPDATE events SET payload = ?, hash = ? WHERE seq = 7",
                .text(try forged.payload.canonicalString()), .blob(forged.hash))
        }
        let result = try await runKura(["log", "verify", "--db", db], in: dir)
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("kura: chain_broken: seq 8: "), "\(result)")
        #expect(result.stderr.contains("prevHash"))
    }
}
