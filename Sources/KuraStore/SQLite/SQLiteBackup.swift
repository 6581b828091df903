import CSQLite
import Foundation
import KuraCore

#if canImport(Glibc)
    import Glibc
#endif

/// Online, consistent copies of a Kura database, checked before they are trusted (`kura backup`,
/// `kura restore`).
///
/// A copy is made with `VACUUM INTO` inside one read transaction: it is the database as of one instant,
/// taken while a server goes on writing (WAL readers never block the writer), compacted, and in rollback
/// journal mode so that it is one self-contained file. It is written beside the destination, synced to disk,
/// verified, and only then renamed into place, so a crash never leaves a half copy under the final name.
public enum SQLiteBackup {
    /// What a verified copy holds.
    public struct Report: Sendable, Equatable {
        /// Events in the copy (its chain verified whole).
        public var events: UInt64
        /// The copy's head.
        public var head: LogHead
        /// The copy's size on disk.
        public var bytes: UInt64
    }

    /// Copies the Kura database at `source` to `destination` (which must not exist), then verifies the copy:
    /// SQLite's integrity check, the format, the whole hash chain, and that its head is an event of the live
    /// database with the same hash (the copy is a prefix of the log the server goes on writing).
    public static func backup(from source: String, to destination: String) throws(KuraError) -> Report {
        guard FileManager.default.fileExists(atPath: source) else {
            throw KuraError(.notFound, "no database at \(source)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw KuraError(.invalidTransition, "\(destination) already exists; refusing to overwrite it")
        }
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do throws(KuraError) {
            let live = try SQLiteConnection(path: source, create: false)
            try live.execute("PRAGMA busy_timeout = 10000")
            try checkFormat(live, source)
            try live.run("VACUUM INTO ?", .text(partial))
            do {
                let copy = try SQLiteConnection(path: partial, create: false)
                try copy.execute("PRAGMA journal_mode = DELETE")
            }
            try sync(partial)
            let report = try verify(partial)
            if report.head.seq > 0 {
                let hash = try live.scalar("SELECT hash FROM events WHERE seq = ?", .integer(Int64(report.head.seq)))
                guard case .blob(let bytes)? = hash, bytes == report.head.hash else {
                    throw KuraError(
                        .verificationFailed,
                        "the copy's head (seq \(report.head.seq)) is not an event of \(source) with the same hash")
                }
            }
            try rename(partial, to: destination)
            return report
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Checks a copy without changing it: SQLite's integrity check, Kura's format, and the whole hash chain.
    /// `chain_broken` names the first bad event, `verification_failed` anything else.
    public static func verify(_ path: String) throws(KuraError) -> Report {
        guard FileManager.default.fileExists(atPath: path) else { throw KuraError(.notFound, "no file at \(path)") }
        let db: SQLiteConnection
        do { db = try SQLiteConnection(path: path, create: false, readOnly: true) } catch {
            throw KuraError(.verificationFailed, "\(path) does not open as a database: \(error.detail)")
        }
        let integrity: String?
        do { integrity = try db.scalar("PRAGMA integrity_check")?.text } catch {
            throw KuraError(.verificationFailed, "\(path): \(error.detail)")
        }
        guard integrity == "ok" else {
            throw KuraError(.verificationFailed, "\(path) fails SQLite's integrity check: \(integrity ?? "no answer")")
        }
        try checkFormat(db, path)
        let chain = try SQLReadSession(db).verifyChain()
        if let failure = chain.failure {
            throw KuraError(.chainBroken, "\(path): seq \(failure.seq): \(failure.reason)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
        return Report(events: chain.count, head: chain.head, bytes: size)
    }

    /// Puts a verified copy in place of the database at `database` (refused when the copy does not verify,
    /// when `database` exists and `replace` is false, and when anything has `database` open, such as a
    /// running server). The old `-wal` and `-shm` files go too: SQLite would otherwise replay the old log's
    /// pages into the restored file.
    public static func restore(from copy: String, to database: String, replace: Bool) throws(KuraError) -> Report {
        let report = try verify(copy)
        if FileManager.default.fileExists(atPath: database) {
            guard replace else {
                throw KuraError(.invalidTransition, "\(database) exists; pass --force to replace it")
            }
            if try isInUse(database) {
                throw KuraError(.invalidTransition, "\(database) is open in another process; stop the server first")
            }
        }
        let staging = database + ".restoring"
        try? FileManager.default.removeItem(atPath: staging)
        do throws(KuraError) {
            do { try FileManager.default.copyItem(atPath: copy, toPath: staging) } catch {
                throw KuraError(.storageFailure, "cannot copy \(copy) to \(staging): \(error)")
            }
            try sync(staging)
            guard try verify(staging) == report else {
                throw KuraError(.verificationFailed, "the copy changed while it was being restored")
            }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            try rename(staging, to: database)
            return report
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// Whether another connection has the database open: an exclusive lock, asked for without waiting, is
    /// refused while any connection (even an idle one in WAL mode) holds the file.
    public static func isInUse(_ path: String) throws(KuraError) -> Bool {
        let db = try SQLiteConnection(path: path, create: false)
        try db.execute("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE")
        do {
            try db.execute("BEGIN EXCLUSIVE")
            try db.execute("COMMIT")
            return false
        } catch {
            return true
        }
    }

    private static func checkFormat(_ db: SQLiteConnection, _ path: String) throws(KuraError) {
        let found = try? db.scalar("SELECT value FROM meta WHERE key = 'format'")?.text
        guard found == SQLiteBackend.format else {
            throw KuraError(.unsupportedDatabase, "\(path) is not a Kura database")
        }
    }

    /// Flushes a file to disk (`VACUUM INTO` and a file copy do not).
    static func sync(_ path: String) throws(KuraError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw KuraError(.storageFailure, "cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw KuraError(.storageFailure, "cannot sync \(path) to disk") }
    }

    /// Renames within one directory (atomic), then syncs the directory so the new name survives a crash.
    static func rename(_ from: String, to: String) throws(KuraError) {
        guard Glibc.rename(from, to) == 0 else {
            throw KuraError(.storageFailure, "cannot rename \(from) to \(to): \(String(cString: strerror(errno)))")
        }
        let directory = (to as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
