import KuraCore
import KuraTesting
import Testing

@testable import KuraStore

/// Parameters bound from the statement's own arena read back as bound: empty values stay empty (not NULL), texts
/// of any length and script, blobs beside texts in one statement, and a use too large for the arena.
struct BindingTests {
    @Test("texts, UTF-8 bytes and blobs of every size read back as bound, in one statement and across uses")
    func roundTrips() throws {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("binding.sqlite"), create: true)
        defer { db.close() }
        try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c)")
        let large = String(repeating: "ü€𝄞x", count: (SQLiteStatement.arenaLimit / 10) + 1)  // past the limit
        let texts = ["", "a", "short small", "a longer text than fifteen bytes", "é\u{0}z", large]
        var id: Int64 = 0
        for text in texts {
            for blob in [[], [0], [UInt8](repeating: 7, count: 5000)] as [[UInt8]] {
                id += 1
                try db.run(
                    "INSERT INTO t(id, a, b, c) VALUES (?, ?, ?, ?)",
                    [.integer(id), .text(text), .utf8(Array(text.utf8)), .blob(blob)])
                var row: [String] = []
                try db.query("SELECT typeof(a), a, typeof(b), b, typeof(c), c FROM t WHERE id = ?", [.integer(id)]) {
                    row = [$0.text(0), $0.text(1), $0.text(2), $0.text(3), $0.text(4)]
                    #expect($0.bytes(5) == blob)
                }
                #expect(row == ["text", text, "text", text, "blob"], "text of \(text.utf8.count) bytes")
            }
        }
        // The same statement with the old-style bindings, which share the arena.
        try db.run("INSERT INTO t(id, a, b, c) VALUES (?, ?, ?, ?)", .integer(100), .text(""), .blob([]), .null)
        #expect(
            try db.scalar("SELECT typeof(a) || typeof(b) || typeof(c) FROM t WHERE id = 100") == .text("textblobnull"))
    }
}

extension BindingTests {
    @Test("binding again without a reset leaves no parameter reading the last use's bytes (review finding)")
    func bindingAgain() throws {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("again.sqlite"), create: true)
        defer { db.close() }
        let statement = try db.statement("SELECT ?1, typeof(?2), ?2")
        try statement.bind([.text("ab"), .text("cd")])
        try statement.bind([.text("xyz")])
        #expect(try statement.step())
        #expect(statement.text(0 as Int32) == "xyz")
        #expect(statement.text(1 as Int32) == "null")
        statement.reset()
    }
}
