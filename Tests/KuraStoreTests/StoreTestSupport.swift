import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under NSTemporaryDirectory. Call `remove()` (in a `defer`) when done.
struct TemporaryDirectory: Sendable {
    let url: URL

    init(_ label: String = #function) throws {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(40)
        url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("kura-tests-\(safe)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names of the files in the directory, sorted.
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Removes the directory. A store's last SQLite connection may still be closing (and deleting its
    /// -wal and -shm files) on another thread, which can make one removal attempt fail half-way; retry.
    func remove() {
        for _ in 0..<100 {
            try? FileManager.default.removeItem(at: url)
            if !FileManager.default.fileExists(atPath: url.path) { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

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

/// SplitMix64: a small seeded generator, so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: The real `kura` binary

/// Finds the `kura` executable built beside this test bundle.
enum KuraBinary {
    static let url: URL? = {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["KURA_BINARY"] {
            candidates.append(URL(fileURLWithPath: override))
        }
        // The test runner (KuraPackageTests.xctest on Linux) sits in the build products directory.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("kura"))
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("kura"))
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kura"))
        // Last resort: the package's own .build/debug, from this source file's location.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/kura"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// The binary, or a test failure that says where it looked.
    static func require() throws -> URL {
        try #require(
            url,
            "the kura executable was not found beside the test runner (\(CommandLine.arguments[0])) nor in .build/debug; build it with `swift build` or set KURA_BINARY"
        )
    }
}

/// What one run of the binary did.
struct CLIResult: Sendable, CustomStringConvertible {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String

    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    var description: String {
        "exit \(status)\(signaled ? " (signal)" : ""); stdout: \(stdout.prefix(400)); stderr: \(stderr.prefix(400))"
    }

    /// True when stderr shows a crash rather than a handled error.
    var crashed: Bool {
        signaled || stderr.contains("Fatal error") || stderr.contains("Stack dump") || stderr.contains("Backtrace")
            || stderr.contains("Current stack trace") || stderr.contains("Program crashed")
    }
}

/// Runs the `kura` binary with `arguments` in `directory` and waits for it; stdin is `input` (or empty).
/// Output goes through files, so a chatty child never blocks on a full pipe.
func runKura(_ arguments: [String], in directory: TemporaryDirectory, input: String? = nil) async throws -> CLIResult {
    let binary = try KuraBinary.require()
    let scratch = try TemporaryDirectory("run")
    defer { scratch.remove() }
    let outPath = scratch.path("stdout")
    let errPath = scratch.path("stderr")
    let inPath = scratch.path("stdin")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    _ = FileManager.default.createFile(atPath: inPath, contents: Data((input ?? "").utf8))

    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory.url
    let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let stdin = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume()
        }
    }
    try? stdout.close()
    try? stderr.close()
    try? stdin.close()
    guard process.processIdentifier > 0 else { throw KuraError(.internalError, "could not start \(binary.path)") }
    return CLIResult(
        status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
        stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
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
