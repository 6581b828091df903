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
final class VoucherJournal: @unchecked Sendable {
    private let fd: Int32
    private var pending: [UInt8] = []
    private let lock = NSLock()

    /// Opens (creating if needed, mode 0600) the journal at `path` for appending.
    init(path: String) throws(KuraError) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else {
            throw KuraError(.storageFailure, "cannot open voucher journal \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Queues a voucher; it is durable after the next ``flush()``.
    func record(_ voucher: SignedVoucher) {
        guard let bytes = try? JSONValue(encoding: voucher).canonicalBytes() else { return }
        lock.withLock { pending += bytes + [0x0A] }
    }

    /// Writes and fsyncs what was queued.
    func flush() throws(KuraError) {
        let bytes = lock.withLock {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw KuraError(.storageFailure, "cannot write the voucher journal: \(String(cString: strerror(errno)))")
        }
    }

    /// The best voucher per channel in the journal at `path` (none if it does not exist).
    static func load(_ path: String) -> [ChannelID: SignedVoucher] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var best: [ChannelID: SignedVoucher] = [:]
        for line in data.split(separator: 0x0A) {
            guard let json = try? JSONValue.parse([UInt8](line)), let voucher = try? json.decode(SignedVoucher.self)
            else { continue }  // a torn last line after a crash
            let channel = voucher.voucher.channel
            if voucher.voucher.sequence > best[channel]?.voucher.sequence ?? 0 { best[channel] = voucher }
        }
        return best
    }
}
