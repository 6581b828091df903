import Foundation
import KuraCore

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under NSTemporaryDirectory. Call `remove()` (in a `defer`) when done.
public struct TemporaryDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// Creates a fresh, empty directory.
    public init(_ label: String = #function) throws {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(40)
        url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("kura-tests-\(safe)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names of the files in the directory, sorted.
    public func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Removes the directory. A store's last SQLite connection may still be closing (and deleting its
    /// -wal and -shm files) on another thread, which can make one removal attempt fail half-way; retry.
    public func remove() {
        for _ in 0..<100 {
            try? FileManager.default.removeItem(at: url)
            if !FileManager.default.fileExists(atPath: url.path) { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

// MARK: The real `kura` binary

/// Finds the `kura` executable built beside this test bundle.
public enum KuraBinary {
    /// The binary, if found.
    public static let url: URL? = {
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

    /// Another executable of this package built beside `kura`, e.g. `kura-example-provider`.
    public static func sibling(_ name: String) throws -> URL {
        let url = try require().deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw KuraError(.notFound, "\(url.path) is not built; run swift build first")
        }
        return url
    }

    /// The binary, or an error that says where it looked.
    public static func require() throws -> URL {
        guard let url else {
            throw KuraError(
                .notFound,
                "the kura executable was not found beside the test runner (\(CommandLine.arguments[0])) nor in .build/debug; build it with `swift build` or set KURA_BINARY"
            )
        }
        return url
    }
}

/// What one run of the binary did.
public struct CLIResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var signaled: Bool
    public var stdout: String
    public var stderr: String

    public var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    public var description: String {
        "exit \(status)\(signaled ? " (signal)" : ""); stdout: \(stdout.prefix(400)); stderr: \(stderr.prefix(400))"
    }

    /// True when stderr shows a crash rather than a handled error.
    public var crashed: Bool {
        signaled || stderr.contains("Fatal error") || stderr.contains("Stack dump") || stderr.contains("Backtrace")
            || stderr.contains("Current stack trace") || stderr.contains("Program crashed")
    }
}

/// Runs the `kura` binary with `arguments` in `directory` and waits for it; stdin is `input` (or empty).
/// Output goes through files, so a chatty child never blocks on a full pipe.
public func runKura(_ arguments: [String], in directory: TemporaryDirectory, input: String? = nil) async throws
    -> CLIResult
{
    try await runProgram(try KuraBinary.require(), arguments, in: directory, input: input)
}

/// Runs any program the same way as ``runKura(_:in:input:)``.
public func runProgram(_ executable: URL, _ arguments: [String], in directory: TemporaryDirectory, input: String? = nil)
    async throws -> CLIResult
{
    let scratch = try TemporaryDirectory("run")
    defer { scratch.remove() }
    let inPath = scratch.path("stdin")
    guard FileManager.default.createFile(atPath: inPath, contents: Data((input ?? "").utf8)) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: inPath])
    }
    let child = try ChildProcess.spawn(
        executable.path, arguments, in: directory.url.path, stdinPath: inPath, stdoutPath: scratch.path("stdout"),
        stderrPath: scratch.path("stderr"))
    let (status, signaled) = await child.wait()
    return CLIResult(
        status: status, signaled: signaled,
        stdout: (try? String(contentsOfFile: scratch.path("stdout"), encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: scratch.path("stderr"), encoding: .utf8)) ?? "")
}
