import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, its standard streams connected to files.
///
/// Tests start hundreds of short `kura` runs in parallel; Foundation's `Process.run()` on Linux crashed
/// intermittently under that load (a bad read inside its own setup), so the tests spawn directly.
public final class ChildProcess: Sendable {
    /// The child's process ID.
    public let pid: pid_t

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` with `arguments` in `directory`; stdin reads `stdinPath` (or /dev/null),
    /// stdout and stderr are written to the given files (created or truncated).
    public static func spawn(
        _ executable: String, _ arguments: [String], in directory: String, stdinPath: String? = nil,
        stdoutPath: String, stderrPath: String
    ) throws -> ChildProcess {
        // `sh` changes directory for the child only, then becomes the program.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, cArguments, environ)
        guard rc == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "posix_spawn failed: \(rc)"])
        }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end: its exit status, or the signal that ended it.
    public func wait() async -> (status: Int32, signaled: Bool) {
        let pid = self.pid
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let signal = status & 0x7f
                continuation.resume(returning: signal != 0 ? (signal, true) : ((status >> 8) & 0xff, false))
            }
            thread.start()
        }
    }

    /// Sends a signal.
    public func send(_ signal: Int32) { kill(pid, signal) }
}
