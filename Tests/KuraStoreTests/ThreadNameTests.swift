import Foundation
import KuraTesting
import Testing

@testable import KuraStore

/// The store's threads carry their names in the OS, every time: `scripts/profile-writer.sh` finds the writer by
/// its name, and an operator reads them in `/proc/PID/task/*/comm` and in `perf`.
@Suite("thread names")
struct ThreadNameTests {
    /// The names of this process's threads, as the OS has them.
    static func osThreadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .newlines)
        }
    }

    /// Waits (up to two seconds) until the OS names `count` threads `name`.
    static func namedThreads(_ name: String, reach count: Int) async throws -> Bool {
        for _ in 0..<200 {
            if osThreadNames().filter({ $0 == name }).count >= count { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test("each store's writer and checkpointer are named in the OS, open after open")
    func namedEveryTime() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var unnamed = 0
        for round in 0..<40 {
            let store = try EventStore(
                backend: try SQLiteBackend(.init(path: dir.path("log-\(round).sqlite"), create: true)))
            let writer = try await Self.namedThreads("kura-writer", reach: 1)
            let checkpointer = try await Self.namedThreads("kura-checkpoint", reach: 1)
            if !writer || !checkpointer { unnamed += 1 }
            store.close()
        }
        #expect(unnamed == 0, "\(unnamed) of 40 stores had a thread the OS did not know by its name")
    }
}
