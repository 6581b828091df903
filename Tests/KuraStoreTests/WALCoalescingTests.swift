import Foundation
import KuraCore
import KuraTesting
import Testing

@testable import KuraStore

@Suite("SQLite WAL writes coalesced: a commit's frames in one write, nothing reordered")
struct WALCoalescingTests {
    @Test("writes that continue the held ones are held; anything else writes them out first")
    func rule() {
        var coalescer = WALWriteCoalescer(capacity: 100)
        #expect(coalescer.write(offset: 32, length: 24) == .init(flush: nil, hold: 0))
        #expect(coalescer.write(offset: 56, length: 40) == .init(flush: nil, hold: 24))
        // Not contiguous: what is held goes out first, the new bytes start a new run.
        #expect(coalescer.write(offset: 8, length: 10) == .init(flush: .init(offset: 32, count: 64), hold: 0))
        // Past the capacity: out, and held again from the start.
        #expect(coalescer.write(offset: 18, length: 95) == .init(flush: .init(offset: 8, count: 10), hold: 0))
        // Too large to hold at all: written through, after what is held.
        #expect(coalescer.write(offset: 113, length: 100) == .init(flush: .init(offset: 18, count: 95), hold: nil))
        #expect(coalescer.flush() == nil)
        // A read of bytes not held reads the file; one that reaches into them writes them out first.
        _ = coalescer.write(offset: 100, length: 50)
        #expect(coalescer.read(offset: 0, length: 100) == nil)
        #expect(coalescer.read(offset: 150, length: 10) == nil)
        #expect(coalescer.read(offset: 149, length: 10) == .init(offset: 100, count: 50))
        #expect(coalescer.read(offset: 149, length: 10) == nil)
        // A failed write out loses what was held: refused until the transaction ends (the VFS checks `failed`).
        _ = coalescer.write(offset: 0, length: 5)
        coalescer.writeFailed()
        #expect(coalescer.failed)
        #expect(coalescer.flush() == nil)
        coalescer.transactionEnded()
        #expect(!coalescer.failed)
        // The end of a transaction forgets what it held.
        _ = coalescer.write(offset: 0, length: 5)
        coalescer.transactionEnded()
        #expect(coalescer.flush() == nil)
    }

    @Test("the writer's connection holds its WAL's writes when durable, and only then")
    func writerSession() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for durable in [true, false] {
            let configuration = SQLiteBackend.Configuration(
                path: dir.path("log-\(durable).sqlite"), create: true, durable: durable)
            let store = try EventStore(backend: try SQLiteBackend(configuration))
            try await appendOne(store, stream: "s/1")
            store.close()
            let backend = try SQLiteBackend(SQLiteBackend.Configuration(path: configuration.path, durable: durable))
            defer { backend.close() }
            let session = try #require(try backend.makeWriterSession() as? SQLiteWriterSession)
            defer { session.close() }
            _ = try session.begin()
            try session.connection.run("INSERT INTO meta(key, value) VALUES ('coalescing', 'yes')")
            try session.commit()
            let counts = SQLiteWALVFS.counts(session.connection)
            #expect((counts?.held ?? 0 > 0) == durable, "durable: \(durable), \(String(describing: counts))")
        }
    }

    /// A new database in WAL mode with `schema`.
    static func walDatabase(in dir: TemporaryDirectory, _ schema: String) throws -> String {
        let path = dir.path("wal.sqlite")
        let setup = try SQLiteConnection(path: path, create: true)
        defer { setup.close() }
        try setup.execute("PRAGMA journal_mode = WAL")
        try setup.execute(schema)
        return path
    }

    /// A durable writer connection through the coalescing VFS and a plain one reading beside it.
    @Test("a durable connection's commits are read by another connection, survive a reopen and checkpoints")
    func committedFramesAreVisible() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.walDatabase(in: dir, "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)")

        let writer = try SQLiteConnection(path: path, create: false, coalescingWAL: true)
        // A cache of 20 pages at first: SQLite writes frames before the commit and reads them back.
        try writer.execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 20")
        let reader = try SQLiteConnection(path: path, create: false)
        var before = SQLiteWALVFS.Counts()
        var generator = SplitMix64(seed: 7)
        var expected = 0
        for batch in 0..<40 {
            if batch == 20 {
                try writer.execute("PRAGMA cache_size = 2000")
                before = try #require(SQLiteWALVFS.counts(writer))
            }
            // Some batches are larger than the buffer (1 MiB); one in five is rolled back.
            let rows = batch % 7 == 0 ? 600 : Int.random(in: 1...40, using: &generator)
            try writer.execute("BEGIN IMMEDIATE")
            for _ in 0..<rows {
                let key = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
                try writer.run(
                    "INSERT INTO t(k, v) VALUES (?, ?)", .text(key),
                    .blob(Array(repeating: UInt8(batch), count: Int.random(in: 10...3_000, using: &generator))))
            }
            if batch % 5 == 4 {
                try writer.execute("ROLLBACK")
            } else {
                try writer.execute("COMMIT")
                expected += rows
            }
            #expect(try reader.scalar("SELECT count(*) FROM t")?.int64 == Int64(expected))
            if batch % 10 == 9 { try reader.execute("PRAGMA wal_checkpoint(RESTART)") }
        }
        #expect(try reader.scalar("PRAGMA integrity_check")?.text == "ok")
        let after = try #require(SQLiteWALVFS.counts(writer))
        let (held, written) = (after.held - before.held, after.written - before.written)
        // Two writes per frame held; one write out per commit, or per 64 KiB.
        #expect(held > 10 * written, "\(held) writes held, \(written) made")
        #expect(SQLiteWALVFS.counts(reader) == nil)
        writer.close()
        reader.close()
        let reopened = try SQLiteConnection(path: path, create: false)
        #expect(try reopened.scalar("SELECT count(*) FROM t")?.int64 == Int64(expected))
        #expect(try reopened.scalar("PRAGMA integrity_check")?.text == "ok")
    }

    /// Frames a rolled-back transaction left held were never committed; another connection then writes its own
    /// frames at the same offsets. Written out later (by the first connection's next read of the WAL), the old
    /// frames overwrote the committed ones (review finding: fails without the rollback hook).
    @Test("what a rolled-back transaction held is forgotten, not written over another connection's commits")
    func rollbackForgetsHeldFrames() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.walDatabase(in: dir, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
        let first = try SQLiteConnection(path: path, create: false, coalescingWAL: true)
        try first.execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 10")
        let second = try SQLiteConnection(path: path, create: false)
        try second.execute("PRAGMA wal_autocheckpoint = 0")
        // The first connection's cache spills its pages as frames, the last of them held when it rolls back.
        try first.execute("BEGIN IMMEDIATE")
        for _ in 0..<300 { try first.run("INSERT INTO t(v) VALUES (?)", .blob(Array(repeating: 0xAA, count: 1_000))) }
        try first.execute("ROLLBACK")
        for _ in 0..<300 { try second.run("INSERT INTO t(v) VALUES (?)", .blob(Array(repeating: 0x55, count: 1_000))) }
        #expect(
            try first.scalar("SELECT count(*) FROM t WHERE v = ?", .blob(Array(repeating: 0x55, count: 1_000)))?.int64
                == 300)
        #expect(try second.scalar("PRAGMA integrity_check")?.text == "ok")
        #expect(
            try second.scalar("SELECT count(*) FROM t WHERE v = ?", .blob(Array(repeating: 0x55, count: 1_000)))?.int64
                == 300)
        first.close()
        second.close()
    }
}
