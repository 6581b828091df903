import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a log-only store on the SQLite file at `path`; the caller closes it.
func openStore(_ path: String, create: Bool = true, durable: Bool = true, readers: Int = 2) throws(KuraError)
    -> EventStore
{
    let backend = try SQLiteBackend(
        .init(
            path: path, create: create, durable: durable,
            readers: ReaderLanes.Configuration(standardReaders: readers)))
    do { return try EventStore(backend: backend) } catch {
        backend.close()
        throw error
    }
}

/// Opens a log-only store on a backend; the caller closes it.
func openStore(_ database: any TestBackendDatabase, durable: Bool = true) throws(KuraError) -> EventStore {
    let backend = try database.open(durable: durable)
    do { return try EventStore(backend: backend) } catch {
        backend.close()
        throw error
    }
}

/// Appends one event as one command and returns it.
@discardableResult
func appendOne(
    _ store: EventStore, stream: String, payload: JSONValue = ["n": 1], expectedVersion: UInt64? = nil,
    commandId: String = "cmd", at: Int64 = 1_732_400_000_000
) async throws(KuraError) -> Event {
    let outcome = try await store.append(
        [NewEvent(stream: stream, type: "test.appended", payload: payload, expectedVersion: expectedVersion)],
        actor: "pty_tester", commandId: commandId, at: Timestamp(milliseconds: at), idempotency: nil, response: [])
    guard outcome.events.count == 1 else { throw KuraError(.internalError, "expected one event") }
    return outcome.events[0]
}

/// Every event in the log, in seq order.
func allEvents(_ store: EventStore) async throws(KuraError) -> [Event] {
    var out: [Event] = []
    while true {
        let page = try await store.events(after: out.last?.seq ?? 0, limit: 1000)
        if page.isEmpty { return out }
        out += page
    }
}

/// The POSIX permission bits of a file.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int) & 0o777
}

/// The raw bytes of a file, or nil when it does not exist.
func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// True when neither the database nor its WAL or shared-memory file exists.
func noDatabaseFiles(at path: String) -> Bool {
    ["", "-wal", "-shm", "-journal"].allSatisfy { !FileManager.default.fileExists(atPath: path + $0) }
}

/// A one-shot gate: `wait()` returns once `open()` has been called (from any thread).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false

    func open() { lock.withLock { isOpen = true } }

    var opened: Bool { lock.withLock { isOpen } }

    func wait() async {
        while !opened { try? await Task.sleep(for: .milliseconds(5)) }
    }
}
