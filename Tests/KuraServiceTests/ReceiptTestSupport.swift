import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

// MARK: Fixtures

/// The golden scenarios in `Fixtures/scenarios/` and their expected results in `Fixtures/expected/`.
enum GoldenFixtures {
    /// The package root, from this file's location.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = root.appendingPathComponent("Fixtures/scenarios")
    static let expected = root.appendingPathComponent("Fixtures/expected")

    /// The scenario names (file names without `.json`), sorted. Empty when the directory is missing, so
    /// parameterised tests run no case and `fixturesAreComplete` names the problem.
    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: scenarios.path)) ?? [])
        .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) }.sorted()

    static func scenario(_ name: String) -> URL { scenarios.appendingPathComponent("\(name).json") }
    static func expected(_ name: String) -> URL { expected.appendingPathComponent("\(name).json") }

    /// `KURA_REGENERATE_GOLDEN=1`: write the expected files instead of comparing with them.
    static var regenerating: Bool { ProcessInfo.processInfo.environment["KURA_REGENERATE_GOLDEN"] == "1" }
}

// MARK: Merkle helpers independent of MerkleTree

/// The leaf hash of one canonical receipt text, by hand: SHA-256(0x00 || bytes).
func naiveLeafHash(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash([0x00] + bytes) }

/// Every row of `merkle_nodes`, for comparing trees before and after a rebuild.
func merkleNodeRows(_ service: KuraService) async throws -> [String] {
    try await service.store.read { reads throws(KuraError) in
        try (reads as! SQLReadSession).connection.rows("SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx")
        {
            row throws(KuraError) in "\(row.int64(0))/\(row.int64(1))/\(Hex.encode(row.bytes(2)))"
        }
    }
}

/// The stored canonical JSON text of every receipt, in index order (the leaf bytes as the log keeps them).
func storedReceiptTexts(_ service: KuraService) async throws -> [String] {
    try await service.store.read { reads throws(KuraError) in
        try (reads as! SQLReadSession).connection.rows("SELECT json FROM receipts ORDER BY idx") {
            row throws(KuraError) in row.text(0)
        }
    }
}

/// Every event in the log, in seq order.
func allLogEvents(_ store: EventStore) async throws -> [Event] {
    var out: [Event] = []
    while true {
        let page = try await store.events(after: out.last?.seq ?? 0, limit: 1000)
        if page.isEmpty { return out }
        out += page
    }
}

/// Opens a signed checkpoint or records why not.
func openCheckpoint(_ record: CheckpointRecord, _ verifier: NoteVerifier) throws -> Checkpoint {
    try Checkpoint.open(note: record.note, verifier: verifier)
}

// MARK: Other programs (KuraTesting's `runProgram` runs them)

/// The first executable named `name` on PATH.
func executableOnPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

extension TemporaryDirectory {
    /// Writes `text` to the file `name` in the directory.
    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    /// Writes a JSON value as canonical JSON and a newline to the file `name`.
    func write(_ name: String, json: JSONValue) throws {
        try Data(try json.canonicalBytes() + [0x0A]).write(to: url.appendingPathComponent(name))
    }

    /// The text of the file `name`.
    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }
}
