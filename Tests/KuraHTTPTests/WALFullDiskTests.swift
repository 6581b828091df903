import Foundation
import KuraCore
import KuraTesting
import Testing

@testable import KuraStore

/// The coalescing WAL (`SQLiteWALVFS`) on a disk that fills up in the middle of transactions, on a small tmpfs of
/// its own (needs root to mount, as here and in CI): nothing of a transaction that could not write its frames
/// commits, the file stays whole, and with room again commits go through. A build that swallowed a failed write
/// out fails it. It does not reach the interleaving a review described (SQLite rolling back only the statement
/// whose read wrote out held frames, then a commit): here SQLite rolled back the whole transaction every time, so
/// the refusal after a failed write out (`WALWriteCoalescer.failed`) is held to its rule by `WALCoalescingTests`.
@Suite("the coalescing WAL on a full disk", .serialized)
struct WALFullDiskTests {
    @Test(
        "a full disk mid-transaction: nothing of it commits, the file stays whole, then commits go through",
        .enabled(if: SmallFileSystem.available))
    func fullDiskMidTransaction() throws {
        let fs = try #require(SmallFileSystem(label: "wal", kilobytes: 4 << 10))
        let path = fs.path + "/wal.sqlite"
        let setup = try SQLiteConnection(path: path, create: true)
        try setup.execute("PRAGMA journal_mode = WAL")
        try setup.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)")
        setup.close()
        let writer = try SQLiteConnection(path: path, create: false, coalescingWAL: true)
        try writer.execute("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 10")
        var generator = SplitMix64(seed: 11)
        func insert(_ rows: Int) throws {
            for _ in 0..<rows {
                try writer.run(
                    "INSERT INTO t(k, v) VALUES (?, ?)",
                    .text(String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)),
                    .blob(Array(repeating: 0x5A, count: 700)))
            }
        }
        try insert(50)
        var committed: Int64 = 50
        var refusals = 0
        for round in 0..<6 {
            try writer.execute("BEGIN IMMEDIATE")
            // The cache spills its pages as frames, some of them held.
            try insert(120)
            let filler = fs.fill()
            // Statements that read and write many pages, each refused or rolled back on its own by SQLite while
            // the disk is full.
            for _ in 0..<4 {
                _ = try? writer.execute("INSERT INTO t(k, v) SELECT k || 'x\(round)', v FROM t WHERE id % 3 = 0")
            }
            try FileManager.default.removeItem(atPath: filler)
            if writer.isInTransaction {
                do {
                    try writer.execute("COMMIT")
                    committed = try #require(writer.scalar("SELECT count(*) FROM t")?.int64)
                } catch {
                    refusals += 1
                    try? writer.execute("ROLLBACK")
                }
            } else {
                refusals += 1
            }
            let reader = try SQLiteConnection(path: path, create: false)
            #expect(try reader.scalar("PRAGMA integrity_check")?.text == "ok", "round \(round)")
            #expect(try reader.scalar("SELECT count(*) FROM t")?.int64 == committed, "round \(round)")
            reader.close()
        }
        #expect(refusals > 0, "the disk never filled up in a transaction")
        // With room again, commits go through.
        try writer.execute("BEGIN IMMEDIATE")
        try insert(10)
        try writer.execute("COMMIT")
        writer.close()
        let reopened = try SQLiteConnection(path: path, create: false)
        #expect(try reopened.scalar("PRAGMA integrity_check")?.text == "ok")
        #expect(try reopened.scalar("SELECT count(*) FROM t")?.int64 == committed + 10)
        reopened.close()
    }
}
