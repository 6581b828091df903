import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a store on `path`; the caller closes it.
func openStore(_ path: String, create: Bool = true, durable: Bool = true, readers: Int = 2) throws(KuraError)
    -> SQLiteEventStore
{
    try SQLiteEventStore(.init(path: path, create: create, durable: durable, readers: readers))
}

/// Appends one event as one command and returns it.
@discardableResult
func appendOne(
    _ store: SQLiteEventStore, stream: String, payload: JSONValue = ["n": 1], expectedVersion: UInt64? = nil,
    commandId: String = "cmd", at: Int64 = 1_732_400_000_000
) async throws(KuraError) -> Event {
    let outcome = try await store.append(
        [NewEvent(stream: stream, type: "test.appended", payload: payload, expectedVersion: expectedVersion)],
        actor: "pty_tester", commandId: commandId, at: Timestamp(milliseconds: at), idempotency: nil, response: [])
    guard outcome.events.count == 1 else { throw KuraError(.internalError, "expected one event") }
    return outcome.events[0]
}

/// Every event in the log, in seq order.
func allEvents(_ store: SQLiteEventStore) throws(KuraError) -> [Event] {
    var out: [Event] = []
    while true {
        let page = try store.events(after: out.last?.seq ?? 0, limit: 1000)
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
