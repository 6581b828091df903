import Foundation
import KuraCore
import KuraCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The provider's durable memory of the best voucher per channel: an append-only file of JSON lines,
/// written and fsynced by ``flush()``. The provider calls `flush` on a schedule, so a crash loses at most
/// the vouchers accepted since the last flush; on start, ``load(_:)`` returns the best voucher per channel
/// (the highest sequence), ignoring a torn last line.
///
/// A failed flush loses nothing: what it could not write stays queued for the next one, and a partly
/// written tail is cut off again, so the file never holds a torn line in its middle. The file is compacted
/// as it grows: once it holds more than ``compactionLines`` lines and four times as many as there are
/// channels, the best voucher per channel is written to a new file, fsynced, and renamed over it.
final class VoucherJournal: @unchecked Sendable {
    let path: String
    private var fd: Int32
    /// Vouchers recorded and not yet durable, as the lines to append.
    private var pending: [UInt8] = []
    /// The best voucher per channel, durable or pending: what a compaction writes.
    private var best: [ChannelID: SignedVoucher]
    /// Guards `pending` and `best` (taken briefly by ``record(_:)`` on the gate's path).
    private let lock = NSLock()
    /// Serialises flushes and compactions (the file itself).
    private let fileLock = NSLock()
    /// The size of the file's complete lines, and how many there are.
    private var size: off_t
    private var lines: Int
    /// The fewest lines a journal has before it is compacted.
    let compactionLines: Int

    /// Opens (creating if needed, mode 0600) the journal at `path` for appending. A torn last line left by a
    /// crash is cut off first, so the next line starts on a line of its own.
    init(path: String, compactionLines: Int = 4096) throws(KuraError) {
        self.path = path
        self.compactionLines = compactionLines
        let contents = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        best = Self.parse(contents)
        let complete = contents.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        size = off_t(complete)
        lines = contents[..<complete].count(where: { $0 == 0x0A })
        fd = try Self.open(path)
        if contents.count != complete { try truncate(to: size) }
    }

    deinit { close(fd) }

    /// Queues a voucher; it is durable after the next successful ``flush()``.
    func record(_ voucher: SignedVoucher) {
        guard let bytes = try? JSONValue.canonicalBytes(encoding: voucher) else { return }
        lock.withLock {
            pending += bytes + [0x0A]
            let channel = voucher.voucher.channel
            if voucher.voucher.sequence > best[channel]?.voucher.sequence ?? 0 { best[channel] = voucher }
        }
    }

    /// How many lines the file holds (for tests and logs).
    var lineCount: Int { fileLock.withLock { lines } }

    /// Writes and fsyncs what was queued, compacting the file when it has grown. On failure the queued
    /// vouchers stay queued, the file is cut back to its last complete line, and the error is thrown.
    func flush() throws(KuraError) {
        fileLock.lock()
        defer { fileLock.unlock() }
        let (bytes, snapshot) = lock.withLock { (pending, best) }
        guard !bytes.isEmpty else { return }
        let added = bytes.count(where: { $0 == 0x0A })
        if lines + added > max(compactionLines, 4 * snapshot.count) {
            try compact(snapshot)
        } else {
            try append(bytes)
            lines += added
        }
        lock.withLock { pending.removeFirst(bytes.count) }
    }

    /// Appends `bytes` and fsyncs; on any failure cuts the file back to `size` and throws.
    private func append(_ bytes: [UInt8]) throws(KuraError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return try failed("cannot write the voucher journal") }
            offset += written
        }
        guard fsync(fd) == 0 else { return try failed("cannot fsync the voucher journal") }
        size += off_t(bytes.count)
    }

    private func failed(_ what: String) throws(KuraError) {
        let reason = String(cString: strerror(errno))
        try? truncate(to: size)
        throw KuraError(.storageFailure, "\(what) \(path): \(reason); the vouchers stay queued")
    }

    private func truncate(to length: off_t) throws(KuraError) {
        guard ftruncate(fd, length) == 0 else {
            throw KuraError(
                .storageFailure, "cannot truncate the voucher journal \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the file by one line per channel: written to a temporary file, fsynced, renamed over the
    /// journal, and the directory fsynced, so a crash at any point leaves the old file or the new one.
    private func compact(_ snapshot: [ChannelID: SignedVoucher]) throws(KuraError) {
        var bytes: [UInt8] = []
        for id in snapshot.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard let line = try? JSONValue.canonicalBytes(encoding: snapshot[id]!) else { continue }
            bytes += line + [0x0A]
        }
        let temporary = path + ".compacting"
        unlink(temporary)
        let newFD = try Self.open(temporary)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(newFD, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return try abandon(newFD, temporary, "cannot write") }
            offset += written
        }
        guard fsync(newFD) == 0 else { return try abandon(newFD, temporary, "cannot fsync") }
        guard rename(temporary, path) == 0 else { return try abandon(newFD, temporary, "cannot rename") }
        Self.syncDirectory(of: path)
        close(fd)
        fd = newFD
        size = off_t(bytes.count)
        lines = snapshot.count
    }

    private func abandon(_ newFD: Int32, _ temporary: String, _ what: String) throws(KuraError) {
        let reason = String(cString: strerror(errno))
        close(newFD)
        unlink(temporary)
        throw KuraError(
            .storageFailure, "\(what) the compacted voucher journal \(temporary): \(reason); the vouchers stay queued")
    }

    private static func open(_ path: String) throws(KuraError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KuraError(.storageFailure, "cannot open voucher journal \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// The best voucher per channel in the journal at `path` (none if it does not exist).
    static func load(_ path: String) -> [ChannelID: SignedVoucher] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return parse([UInt8](data))
    }

    private static func parse(_ bytes: [UInt8]) -> [ChannelID: SignedVoucher] {
        var best: [ChannelID: SignedVoucher] = [:]
        for line in bytes.split(separator: 0x0A) {
            guard let json = try? JSONValue.parse([UInt8](line)), let voucher = try? json.decode(SignedVoucher.self)
            else { continue }  // a torn last line after a crash
            let channel = voucher.voucher.channel
            if voucher.voucher.sequence > best[channel]?.voucher.sequence ?? 0 { best[channel] = voucher }
        }
        return best
    }
}
