import KuraCore
import KuraStore
import KuraTesting
import Testing

@Suite("SQLite page caches: the configured size on the writer, at most 2 MiB on each reader")
struct PageCacheTests {
    /// The `cache_size` of the writer and of every read connection (negative: KiB).
    static func cacheSizes(_ store: SQLiteEventStore, readers: Int) async throws -> (writer: Int64, readers: [Int64]) {
        let writer = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Int64 in
            try tx.db.scalar("PRAGMA cache_size")?.int64 ?? 0
        }
        // Reads nested as deep as the pool has connections: each level holds its own, so every one is seen.
        func nested(_ depth: Int) throws(KuraError) -> [Int64] {
            guard depth > 0 else { return [] }
            return try store.read { db throws(KuraError) in
                [try db.scalar("PRAGMA cache_size")?.int64 ?? 0] + (try nested(depth - 1))
            }
        }
        let sizes = try nested(readers)
        return (writer, sizes)
    }

    @Test("by default the writer caches 64 MiB and each reader 2 MiB")
    func defaults() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"), readers: 3)
        defer { store.close() }
        let sizes = try await Self.cacheSizes(store, readers: 3)
        #expect(sizes.writer == -65_536)
        #expect(sizes.readers == [-2_048, -2_048, -2_048])
    }

    @Test("a small cache applies to the writer and every reader; a large one leaves the readers at 2 MiB")
    func configured() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for (kib, reader): (Int, Int64) in [(1_024, -1_024), (262_144, -2_048)] {
            var configuration = SQLiteEventStore.Configuration(
                path: dir.path("log-\(kib).sqlite"), create: true, readers: 2)
            configuration.pageCacheKiB = kib
            let store = try SQLiteEventStore(configuration)
            defer { store.close() }
            try await appendOne(store, stream: "s/1")
            let sizes = try await Self.cacheSizes(store, readers: 2)
            #expect(sizes.writer == Int64(-kib))
            #expect(sizes.readers == [reader, reader])
        }
    }

    @Test("a page cache under 1 KiB is refused before any file is made")
    func refused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var configuration = SQLiteEventStore.Configuration(path: dir.path("log.sqlite"), create: true)
        configuration.pageCacheKiB = 0
        let error = #expect(throws: KuraError.self) { try SQLiteEventStore(configuration) }
        #expect(error?.code == .invalidRequest)
        #expect(noDatabaseFiles(at: dir.path("log.sqlite")))
    }

    @Test("SQLite's allocations are visible while a store is open")
    func memoryUsed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openStore(dir.path("log.sqlite"))
        defer { store.close() }
        #expect(SQLiteMemory.used > 0)
        #expect(SQLiteMemory.highWater > 0)
    }
}
