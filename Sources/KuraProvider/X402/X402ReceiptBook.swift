import Foundation
import KuraCore

#if canImport(Glibc)
    import Glibc
#endif

/// The provider's memory of x402 proofs: seed receipts already accepted (durably, in an append-only file of
/// lines, fsynced before the route is served, so a replay is refused even after a restart), and v2
/// authorizations being processed now (in memory, so two concurrent requests with one authorization cannot
/// both be served).
public actor X402ReceiptBook {
    private var spent: Set<String>
    private var inFlight: Set<String> = []
    private let fd: Int32?

    /// Loads and opens the journal at `path` (created with mode 0600); nil keeps the spent set in memory only.
    public init(journalPath path: String?) throws(KuraError) {
        guard let path else {
            spent = []
            fd = nil
            return
        }
        let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        spent = Set(text.split(separator: "\n").map(String.init))
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard opened >= 0 else {
            throw KuraError(.storageFailure, "cannot open receipt journal \(path): \(String(cString: strerror(errno)))")
        }
        fd = opened
    }

    /// Records a seed receipt as used; false when it was used before.
    public func spend(receipt key: String) throws(KuraError) -> Bool {
        guard !spent.contains(key) else { return false }
        if let fd {
            let line = Array((key + "\n").utf8)
            let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == line.count, fsync(fd) == 0 else {
                throw KuraError(
                    .storageFailure, "cannot write the receipt journal: \(String(cString: strerror(errno)))")
            }
        }
        spent.insert(key)
        return true
    }

    /// Marks an authorization as being processed; false when it already is.
    public func begin(_ key: String) -> Bool { inFlight.insert(key).inserted }

    /// The authorization is done with.
    public func end(_ key: String) { inFlight.remove(key) }
}
