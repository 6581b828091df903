import Foundation
import KuraCore
import KuraPostgres
import KuraStore
import KuraTesting
import Testing

/// The database server going away under load, on a cluster of the test's own.
@Suite("PostgreSQL outage")
struct PostgresOutageTests {
    /// A writer loop on its own thread: batches of `size` events until stopped.
    final class Loader: @unchecked Sendable {
        let session: any WriterSession
        let size: Int
        private let lock = NSLock()
        private var stopped = false
        private(set) var acknowledged = 0
        private(set) var errors: [KuraError.Code] = []
        private(set) var successesAfterErrors = 0
        private let done = DispatchSemaphore(value: 0)

        init(_ session: any WriterSession, size: Int) {
            self.session = session
            self.size = size
        }

        func start() {
            Thread { [self] in
                while !isStopped {
                    do {
                        try PostgresBackendTests.commit(session, count: size)
                        lock.withLock {
                            acknowledged += size
                            if !errors.isEmpty { successesAfterErrors += 1 }
                        }
                    } catch {
                        lock.withLock { errors.append((error as? KuraError)?.code ?? .internalError) }
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                }
                done.signal()
            }.start()
        }

        var isStopped: Bool { lock.withLock { stopped } }

        func snapshot() -> (acknowledged: Int, errors: [KuraError.Code], recovered: Int) {
            lock.withLock { (acknowledged, errors, successesAfterErrors) }
        }

        func stop() {
            lock.withLock { stopped = true }
            done.wait()
        }
    }

    @Test("stopped mid-load: storage_unavailable, no partial batch, and recovery by itself once it is back")
    func serverStopsAndReturns() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.stop() }
        let backend = try PostgresBackend(.init(url: try cluster.database(), create: true))
        defer { backend.close() }
        let loader = Loader(try backend.makeWriterSession(), size: 10)
        loader.start()
        try await Task.sleep(for: .milliseconds(300))
        #expect(loader.snapshot().acknowledged > 0)

        try cluster.halt()
        try await Task.sleep(for: .milliseconds(300))
        let read = await #expect(throws: KuraError.self) {
            try await backend.read(.standard) { session throws(KuraError) in try session.head() }
        }
        #expect(read?.code == .storageUnavailable)
        let whileDown = loader.snapshot()
        #expect(!whileDown.errors.isEmpty)

        try cluster.resume()
        let deadline = Date().addingTimeInterval(20)
        while loader.snapshot().recovered < 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        loader.stop()
        let final = loader.snapshot()
        #expect(final.recovered >= 3, "the writer did not recover by itself")
        #expect(Set(final.errors) == [.storageUnavailable], "\(final.errors)")

        let (head, report) = try await backend.read(.standard) { session throws(KuraError) in
            (try session.head(), try session.verifyChain())
        }
        #expect(report.isValid)
        // Every acknowledged batch is there; at most the one batch whose COMMIT was cut off may be there too
        // (its callers were told 503); and no batch is there in part.
        let stored = Int(head.seq)
        #expect(stored % 10 == 0, "a partial batch: \(stored) events")
        #expect(stored >= final.acknowledged && stored <= final.acknowledged + 10)
    }
}
