import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread, for Foundation and for the OS (profilers, `/proc/PID/task/*/comm`).
///
/// Foundation on Linux hands a `Thread`'s name to the OS only once the `Thread` knows its pthread, which races
/// with the thread's first steps: a writer was seen under the name of the thread that created it
/// (`ThreadNameTests`: 1 store in 40), and `scripts/profile-writer.sh` could not find it. The OS name is written
/// here directly, to `/proc/thread-self/comm` (at most 15 bytes; `pthread_setname_np` is not in Swift's Glibc).
enum ThreadName {
    static func setCurrent(_ name: String) {
        Thread.current.name = name
        #if os(Linux)
            let descriptor = open("/proc/thread-self/comm", O_WRONLY)
            guard descriptor >= 0 else { return }
            let bytes = Array(name.utf8.prefix(15))
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        #endif
    }
}
