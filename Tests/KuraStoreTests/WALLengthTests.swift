import Foundation
import KuraCore
import KuraTesting
import Testing

@testable import KuraStore

@Suite("SQLite WAL: continuous writes start the WAL again instead of growing it")
struct WALLengthTests {
    /// Appends back to back leave the background checkpointer no moment when every frame is copied and no
    /// batch has begun; without the writer's own checkpoint the WAL grew by every commit (performance finding).
    @Test("under back-to-back appends the WAL stays near the writer's checkpoint length")
    func bounded() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("log.sqlite")
        var configuration = SQLiteBackend.Configuration(path: path, create: true)
        configuration.writerCheckpointFrames = 64
        let store = try EventStore(backend: try SQLiteBackend(configuration))
        defer { store.close() }
        var largest: UInt64 = 0
        for n in 0..<1_500 {
            try await appendOne(store, stream: "s/\(n)", payload: ["n": .string(String(repeating: "x", count: 2_000))])
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "-wal")
            largest = max(largest, try #require(attributes[.size] as? UInt64))
        }
        // 64 frames of 4 KiB are 256 KiB; a few batches past that while a checkpoint is busy is expected.
        #expect(largest < 2 * 1_048_576, "the WAL reached \(largest) bytes")
    }
}
