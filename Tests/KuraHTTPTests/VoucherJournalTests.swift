import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@testable import KuraProvider

#if canImport(Glibc)
    import Glibc
#endif

/// A small tmpfs of its own (the tests run as root here and in CI): a real file system that fills up.
final class SmallFileSystem {
    let path: String

    /// nil when this machine does not let the tests mount one.
    init?(label: String, kilobytes: Int) {
        path = NSTemporaryDirectory() + "kura-fs-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = "size=\(kilobytes)k".withCString { mount("tmpfs", path, "tmpfs", 0, $0) }
        guard mounted == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    deinit {
        umount2(path, 2)  // MNT_DETACH
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a file as large as the free space allows: the file system is then full.
    func fill() -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let block = [UInt8](repeating: 0x55, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
        return filler
    }

    static var available: Bool { SmallFileSystem(label: "probe", kilobytes: 64) != nil }
}

/// Issue 14, finding 9: the provider's voucher journal dropped what it queued when a write failed, and grew
/// without end.
@Suite("the provider's voucher journal")
struct VoucherJournalTests {
    static func voucher(_ channel: String, _ sequence: UInt64) throws -> SignedVoucher {
        try SignedVoucher(
            ChannelVoucher(
                channel: try ChannelID(validating: channel), cumulativeAmount: try Amount(units: sequence * 7),
                sequence: sequence),
            key: TestKeys.secretKey("agent"))
    }

    static let channelA = "ch_2p8fVYk6nZ1q"
    static let channelB = "ch_3q9gWZm7oA2r"

    @Test(
        "a flush that fails on a full disk keeps its vouchers; the next one writes them",
        .enabled(if: SmallFileSystem.available))
    func failedFlushKeepsVouchers() throws {
        let fs = try #require(SmallFileSystem(label: "journal", kilobytes: 64))
        let path = fs.path + "/provider.journal"
        let journal = try VoucherJournal(path: path)
        let first = try Self.voucher(Self.channelA, 1)
        journal.record(first)
        let filler = fs.fill()
        #expect(throws: KuraError.self) { try journal.flush() }
        // No torn line was left behind.
        #expect(VoucherJournal.load(path).isEmpty)
        let second = try Self.voucher(Self.channelB, 1)
        journal.record(second)
        try FileManager.default.removeItem(atPath: filler)
        try journal.flush()
        let loaded = VoucherJournal.load(path)
        #expect(loaded[first.voucher.channel] == first, "the voucher queued before the failed flush was lost")
        #expect(loaded[second.voucher.channel] == second)
    }

    @Test("the journal is compacted as it grows: one line per channel, the best voucher each")
    func compaction() throws {
        let directory = NSTemporaryDirectory() + "kura-journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/provider.journal"
        let journal = try VoucherJournal(path: path, compactionLines: 64)
        var best: [ChannelID: SignedVoucher] = [:]
        for sequence in UInt64(1)...1_000 {
            for channel in [Self.channelA, Self.channelB] {
                let voucher = try Self.voucher(channel, sequence)
                journal.record(voucher)
                best[voucher.voucher.channel] = voucher
            }
            if sequence % 10 == 0 { try journal.flush() }
        }
        try journal.flush()
        #expect(journal.lineCount <= 64)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == journal.lineCount)
        #expect(VoucherJournal.load(path) == best)
        #expect(!FileManager.default.fileExists(atPath: path + ".compacting"))

        // A torn tail from a crash is cut off when the journal is opened again, and appending goes on.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"voucher\":{\"chan".utf8))
        try handle.close()
        let reopened = try VoucherJournal(path: path, compactionLines: 64)
        let next = try Self.voucher(Self.channelA, 1_001)
        reopened.record(next)
        try reopened.flush()
        #expect(VoucherJournal.load(path)[next.voucher.channel] == next)
    }
}
