import Foundation
import KuraHTTP
import KuraTesting
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection to 127.0.0.1 driven byte by byte, for what an HTTP client library will not do: send
/// half a request and hold it. Its waits block a Dispatch thread, never one of Swift's cooperative threads
/// (the in-process server's handlers run on those).
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect: \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends all of `text`; false when the peer has closed.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    enum ReadResult: Equatable {
        case bytes([UInt8])
        case closed
        case timedOut
    }

    /// Waits up to `timeout` for bytes or the end of the stream.
    func read(timeout: Duration) async -> ReadResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.blockingRead(timeout: timeout)) }
        }
    }

    private func blockingRead(timeout: Duration) -> ReadResult {
        // A signal (the suite's other tests start and kill processes: SIGCHLD) interrupts poll and recv with
        // EINTR; that is not a timeout or a close, so wait again for what is left of the time.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let left = clock.now.duration(to: deadline)
            let millis = max(
                0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, millis)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return .timedOut }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            return count <= 0 ? .closed : .bytes(Array(buffer.prefix(count)))
        }
    }

    /// Everything the server sends until it closes or `timeout` passes with nothing new.
    func readAll(timeout: Duration) async -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        while true {
            switch await read(timeout: timeout) {
            case .bytes(let more): bytes += more
            case .closed: return (String(decoding: bytes, as: UTF8.self), true)
            case .timedOut: return (String(decoding: bytes, as: UTF8.self), false)
            }
        }
    }
}

/// Runs a KuraServer on a free loopback port while `body` runs, then shuts it down gracefully.
func withLiveServer<T: Sendable>(
    _ server: KuraServer, _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let port = Mutex<Int?>(nil)
    var configuration = server.configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.onListening = { bound in port.withLock { $0 = bound } }
    let live = KuraServer(service: server.service, configuration: configuration, logger: server.logger)
    let group = ServiceGroup(
        configuration: .init(
            services: [live.makeApplication()],
            logger: Logger.quiet("group")))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var bound: Int?
        for _ in 0..<500 where bound == nil {
            bound = port.withLock { $0 }
            if bound == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        guard let bound else {
            await group.triggerGracefulShutdown()
            throw TestFailure("the server did not listen")
        }
        let result: T
        do { result = try await body(bound) } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}
