import Foundation
import KuraCore

#if canImport(Glibc)
    import Glibc
#endif

/// The provider's memory of x402 proofs: seed receipts already accepted (durably, in an append-only file of
/// lines, fsynced before the route is served, so a replay is refused even after a restart), v2
/// authorizations being processed now (in memory, so two concurrent requests with one authorization cannot
/// both be served), and the request each identified v2 payment was served for (in memory, until its
/// authorization's window has closed).
public actor X402ReceiptBook {
    private var spent: Set<String>
    private var inFlight: Set<String> = []
    private var servedFor: [String: (request: [UInt8], until: UInt64)] = [:]
    /// How many requests ``servedFor`` may hold before the ones whose window has closed are dropped.
    private var pruneAt = 1024
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

    /// Whether an identified payment's authorization (`key`) may be served for `request` (a digest of the method,
    /// target and body): the first request it comes with is remembered until `until` (seconds since 1970), after
    /// which Kura no longer answers its repeat; a repeat is served only for that same request.
    public func serve(_ key: String, request: [UInt8], until: UInt64, now: UInt64) -> Bool {
        if let first = servedFor[key], first.until >= now { return first.request == request }
        if servedFor.count >= pruneAt {
            servedFor = servedFor.filter { $0.value.until >= now }
            pruneAt = max(1024, 2 * servedFor.count)
        }
        servedFor[key] = (request, until)
        return true
    }
}
