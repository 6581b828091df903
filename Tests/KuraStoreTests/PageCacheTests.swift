import KuraCore
import KuraTesting
import Testing

@testable import KuraStore

@Suite("SQLite page caches: the configured size on the writer, at most 2 MiB on each reader")
struct PageCacheTests {
    /// The `cache_size` of a writer session and of every reader lane's connection (negative: KiB).
    static func cacheSizes(_ backend: SQLiteBackend) async throws -> (writer: Int64, readers: [Int64]) {
        let session = try backend.makeWriterSession()
        defer { session.close() }
        let connection = try #require(session as? SQLiteWriterSession).connection
        let writer = try connection.scalar("PRAGMA cache_size")?.int64 ?? 0
        let readers = try await backend.everyReaderConnection { connection throws(KuraError) -> Int64 in
            try connection.scalar("PRAGMA cache_size")?.int64 ?? 0
        }
        return (writer, readers)
    }

    /// A backend with one auth, one public and `standard` standard readers.
    static func backend(_ path: String, standard: Int, pageCacheKiB: Int? = nil) throws(KuraError) -> SQLiteBackend {
        var configuration = SQLiteBackend.Configuration(
            path: path, create: true, readers: ReaderLanes.Configuration(standardReaders: standard))
        if let pageCacheKiB { configuration.pageCacheKiB = pageCacheKiB }
        return try SQLiteBackend(configuration)
    }

    @Test("by default the writer caches 64 MiB and each reader of every lane 2 MiB")
    func defaults() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let backend = try Self.backend(dir.path("log.sqlite"), standard: 3)
        defer { backend.close() }
        let sizes = try await Self.cacheSizes(backend)
        #expect(sizes.writer == -65_536)
        // One auth, one public and three standard readers.
        #expect(sizes.readers == [-2_048, -2_048, -2_048, -2_048, -2_048])
    }

    @Test("a small cache applies to the writer and every reader; a large one leaves the readers at 2 MiB")
    func configured() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for (kib, reader): (Int, Int64) in [(1_024, -1_024), (262_144, -2_048)] {
            let backend = try Self.backend(dir.path("log-\(kib).sqlite"), standard: 2, pageCacheKiB: kib)
            let store = try EventStore(backend: backend)
            defer { store.close() }
            try await appendOne(store, stream: "s/1")
            let sizes = try await Self.cacheSizes(backend)
            #expect(sizes.writer == Int64(-kib))
            #expect(sizes.readers == [reader, reader, reader, reader])
        }
    }

    @Test("a page cache under 1 KiB is refused before any file is made")
    func refused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var configuration = SQLiteBackend.Configuration(path: dir.path("log.sqlite"), create: true)
        configuration.pageCacheKiB = 0
        let error = #expect(throws: KuraError.self) { try SQLiteBackend(configuration) }
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
