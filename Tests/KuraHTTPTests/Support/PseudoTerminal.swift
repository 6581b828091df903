import Foundation
import KuraTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A pseudo-terminal: a child given ``path`` as its stderr sees a terminal (`isatty(2)` is true), and what it
/// writes there is read back from the master side.
final class PseudoTerminal: @unchecked Sendable {
    /// The terminal's device (`/dev/pts/N`), to hand to a child as a file.
    let path: String
    private let master: Int32
    /// Held open by the test so the terminal outlives each child (the master would read EIO between runs).
    private let terminal: Int32
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        // glibc's posix_openpt family is hidden from Swift's Glibc module (it needs _XOPEN_SOURCE): look it up.
        typealias Open = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        func function<F>(_ name: String, as type: F.Type) throws -> F {
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { throw TestFailure("no \(name) in libc") }
            return unsafeBitCast(symbol, to: type)
        }
        let openpt = try function("posix_openpt", as: Open.self)
        let grant = try function("grantpt", as: Open.self)
        let unlock = try function("unlockpt", as: Open.self)
        let ptsname = try function("ptsname", as: Name.self)
        master = openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grant(master) == 0, unlock(master) == 0, let name = ptsname(master) else {
            throw TestFailure("no pseudo-terminal: errno \(errno)")
        }
        path = String(cString: name)
        terminal = open(path, O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { throw TestFailure("cannot open \(path): errno \(errno)") }
        // The reader drains the master while children run (a full terminal buffer would block them).
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ stopped }) {
                var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let count = read(master, &buffer, buffer.count)
                if count > 0 { lock.withLock { bytes += buffer[0..<count] } }
            }
            done.signal()
        }
        thread.start()
    }

    deinit {
        lock.withLock { stopped = true }
        done.wait()
        close(terminal)
        close(master)
    }

    /// Runs `kura` with stderr on this terminal (stdout to a file) and returns its exit status, stdout, and
    /// what the terminal showed.
    func runKura(_ arguments: [String], in directory: TemporaryDirectory) async throws -> (
        status: Int32, stdout: String, terminal: String
    ) {
        let stdoutPath = directory.path("pty-\(UUID().uuidString.prefix(8)).out")
        let child = try ChildProcess.spawn(
            try KuraBinary.require().path, arguments, in: directory.url.path, stdoutPath: stdoutPath,
            stderrPath: path)
        let (status, _) = await child.wait()
        // The child has exited; let the reader drain what is left in the terminal.
        try await Task.sleep(for: .milliseconds(200))
        let shown = lock.withLock {
            defer { bytes.removeAll() }
            return String(decoding: bytes, as: UTF8.self)
        }
        return (status, (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "", shown)
    }
}
