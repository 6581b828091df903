import CSQLite
import Foundation

/// The operating system's VFS (SQLite's default, `unix`), with the WAL files it opens writing through a
/// ``WALWriteCoalescer``: a commit's frames reach the kernel in a few large writes at the commit's sync instead of
/// two per frame. Every other file, and every other operation, is the default VFS's own.
///
/// Only a connection whose every commit syncs the WAL may use it (`synchronous=FULL` or `EXTRA` in WAL mode),
/// because the sync is what writes the held frames before SQLite tells other connections that they are
/// committed: the writer's durable connection (``SQLiteConnection/init(path:create:readOnly:coalescingWAL:)``,
/// which also installs the rollback hook that forgets what an uncommitted transaction held). A WAL on a device
/// without powersafe overwrite is written through unchanged: SQLite then pads a commit to a sector after its
/// sync, and the padding would be held past it.
enum SQLiteWALVFS {
    /// The name connections open it by.
    static let name = "kura-wal-coalescing"

    /// The most bytes a WAL file holds back: above a batch of a few hundred frames, a second write.
    static let bufferCapacity = 1 << 20

    /// What one WAL file did: the writes it held back and the writes it made to the file (held bytes in chunks,
    /// and writes too large to hold).
    struct Counts: Equatable, Sendable {
        var held = 0
        var written = 0
    }

    /// Whether it is registered in this process (false if SQLite has no default VFS to wrap).
    static let isRegistered: Bool = {
        _ = SQLitePageCache.isInstalled  // before SQLite initialises itself (finding the default VFS does)
        guard let vfs = registration else { return false }
        return sqlite3_vfs_register(vfs, 0) == SQLITE_OK
    }()

    /// `SQLITE_IOERR_WRITE`, a macro Swift does not import.
    private static let ioErrorWrite = SQLITE_IOERR | (3 << 8)

    /// The default VFS, which opens every file.
    nonisolated(unsafe) private static let inner: UnsafeMutablePointer<sqlite3_vfs>? = sqlite3_vfs_find(nil)

    /// Where the coalescing state's pointer and the default VFS's file sit in the file object SQLite allocates.
    private static let stateOffset = MemoryLayout<sqlite3_file>.stride
    private static let innerOffset = stateOffset + MemoryLayout<UnsafeMutableRawPointer>.stride

    /// One WAL file: the default VFS's file, what is held and the buffer holding it.
    private struct WALFile {
        let inner: UnsafeMutablePointer<sqlite3_file>
        var coalescer: WALWriteCoalescer
        let buffer: UnsafeMutableRawPointer?
        var counts = Counts()
    }

    nonisolated(unsafe) private static let registration: UnsafeMutablePointer<sqlite3_vfs>? = {
        guard let inner, inner.pointee.xOpen != nil else { return nil }
        var vfs = inner.pointee
        vfs.pNext = nil
        vfs.zName = UnsafePointer(strdup(name))
        vfs.szOsFile = Int32(innerOffset) + inner.pointee.szOsFile
        vfs.xOpen = { _, path, file, flags, outFlags in
            SQLiteWALVFS.open(path, file!, flags, outFlags)
        }
        let pointer = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        pointer.initialize(to: vfs)
        return pointer
    }()

    /// Opens a file with the default VFS; a WAL file in place behind the coalescing methods, any other file
    /// where SQLite asked (its methods are the default VFS's own).
    private static func open(
        _ path: UnsafePointer<CChar>?, _ file: UnsafeMutablePointer<sqlite3_file>, _ flags: Int32,
        _ outFlags: UnsafeMutablePointer<Int32>?
    ) -> Int32 {
        let inner = inner!
        guard flags & SQLITE_OPEN_WAL != 0 else { return inner.pointee.xOpen!(inner, path, file, flags, outFlags) }
        file.pointee.pMethods = nil
        let innerFile = (UnsafeMutableRawPointer(file) + innerOffset).bindMemory(to: sqlite3_file.self, capacity: 1)
        let rc = inner.pointee.xOpen!(inner, path, innerFile, flags, outFlags)
        guard rc == SQLITE_OK, let innerMethods = innerFile.pointee.pMethods else {
            if let close = innerFile.pointee.pMethods?.pointee.xClose { _ = close(innerFile) }
            return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc
        }
        let powersafe =
            (innerMethods.pointee.xDeviceCharacteristics?(innerFile) ?? 0) & SQLITE_IOCAP_POWERSAFE_OVERWRITE
        let state = UnsafeMutablePointer<WALFile>.allocate(capacity: 1)
        state.initialize(
            to: WALFile(
                inner: innerFile, coalescer: WALWriteCoalescer(capacity: bufferCapacity),
                buffer: powersafe != 0
                    ? UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 4096) : nil
            ))
        UnsafeMutableRawPointer(file).storeBytes(
            of: UnsafeMutableRawPointer(state), toByteOffset: stateOffset, as: UnsafeMutableRawPointer.self)
        file.pointee.pMethods = UnsafePointer(methods)
        return SQLITE_OK
    }

    /// What the WAL file of `connection` did since it was opened; nil when the connection does not use this VFS
    /// (or has no WAL file open).
    static func counts(_ connection: SQLiteConnection) -> Counts? {
        walFile(connection.handle).map { state($0).pointee.counts }
    }

    /// Forgets what the WAL file of `connection` holds, when its transaction rolled back (SQLite's rollback
    /// hook; ``SQLiteConnection`` installs it). Those frames were never committed (a commit syncs, which writes
    /// them out), and SQLite ends the transaction without writing there again; written out later, by a write or
    /// read of this connection after another connection restarted the WAL, they would overwrite its frames.
    static func rolledBack(_ connection: OpaquePointer) {
        guard let file = walFile(connection) else { return }
        state(file).pointee.coalescer.transactionEnded()
    }

    private static func walFile(_ connection: OpaquePointer) -> UnsafeMutablePointer<sqlite3_file>? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) == SQLITE_OK,
            let file, file.pointee.pMethods == UnsafePointer(methods)
        else { return nil }
        return file
    }

    private static func state(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<WALFile> {
        UnsafeMutableRawPointer(file!).load(fromByteOffset: stateOffset, as: UnsafeMutableRawPointer.self)
            .assumingMemoryBound(to: WALFile.self)
    }

    /// Writes out what the file holds, before an operation that must see it; refused after a failed write out
    /// in this transaction (``WALWriteCoalescer/failed``).
    private static func flush(_ state: UnsafeMutablePointer<WALFile>) -> Int32 {
        guard !state.pointee.coalescer.failed else { return ioErrorWrite }
        guard let held = state.pointee.coalescer.flush() else { return SQLITE_OK }
        return write(state, held)
    }

    /// The most bytes in one write to the default VFS: its `unixWrite` cuts a larger write short (it masks the
    /// length to 17 bits).
    static let writeChunk = 1 << 16

    /// Writes held bytes out; a failure is remembered (``WALWriteCoalescer/writeFailed()``) and answered with
    /// the default VFS's own error, so that the operator reads what happened (a full disk). SQLite may then roll
    /// back only the statement and read the lost frames as stale bytes in the rest of the transaction; nothing
    /// of it can commit, and the writer rolls a batch back after any error in its writes.
    private static func write(_ state: UnsafeMutablePointer<WALFile>, _ held: WALWriteCoalescer.Held) -> Int32 {
        let inner = state.pointee.inner
        var done = 0
        while done < held.count {
            let length = min(writeChunk, held.count - done)
            state.pointee.counts.written += 1
            let rc = inner.pointee.pMethods.pointee.xWrite!(
                inner, state.pointee.buffer! + done, Int32(length), held.offset + Int64(done))
            guard rc == SQLITE_OK else {
                state.pointee.coalescer.writeFailed()
                return rc
            }
            done += length
        }
        return SQLITE_OK
    }

    /// Calls `operation` with the default VFS's file and methods.
    private static func passThrough(
        _ file: UnsafeMutablePointer<sqlite3_file>?,
        _ operation: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> Int32
    ) -> Int32 {
        let inner = state(file).pointee.inner
        return operation(inner, inner.pointee.pMethods.pointee)
    }

    /// Writes out what `file` holds, then calls `operation` with the default VFS's file and methods.
    private static func afterFlush(
        _ file: UnsafeMutablePointer<sqlite3_file>?,
        _ operation: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> Int32
    ) -> Int32 {
        let rc = flush(state(file))
        guard rc == SQLITE_OK else { return rc }
        return passThrough(file, operation)
    }

    /// The WAL file's methods: those that could see the held bytes write them out first (a read only when it
    /// reaches into them), the others call the default VFS's directly.
    nonisolated(unsafe) private static let methods: UnsafeMutablePointer<sqlite3_io_methods> = {
        var methods = sqlite3_io_methods()
        methods.iVersion = 1
        // What is held at the close was never synced, so never committed: a connection closed in a transaction
        // rolls it back first. Writing it out now could overwrite frames another connection committed since.
        methods.xClose = { file in
            let state = SQLiteWALVFS.state(file)
            let inner = state.pointee.inner
            let closed = inner.pointee.pMethods.pointee.xClose!(inner)
            state.pointee.buffer?.deallocate()
            state.deinitialize(count: 1)
            state.deallocate()
            file!.pointee.pMethods = nil
            return closed
        }
        methods.xRead = { file, data, amount, offset in
            let state = SQLiteWALVFS.state(file)
            if let held = state.pointee.coalescer.read(offset: offset, length: Int(amount)) {
                let rc = SQLiteWALVFS.write(state, held)
                guard rc == SQLITE_OK else { return rc }
            }
            return SQLiteWALVFS.passThrough(file) { $1.xRead!($0, data, amount, offset) }
        }
        methods.xWrite = { file, data, amount, offset in
            let state = SQLiteWALVFS.state(file)
            guard let buffer = state.pointee.buffer else {
                return SQLiteWALVFS.passThrough(file) { $1.xWrite!($0, data, amount, offset) }
            }
            guard !state.pointee.coalescer.failed else { return ioErrorWrite }
            let action = state.pointee.coalescer.write(offset: offset, length: Int(amount))
            if let held = action.flush {
                let rc = SQLiteWALVFS.write(state, held)
                guard rc == SQLITE_OK else { return rc }
            }
            guard let position = action.hold else {
                state.pointee.counts.written += 1
                return SQLiteWALVFS.passThrough(file) { $1.xWrite!($0, data, amount, offset) }
            }
            (buffer + position).copyMemory(from: data!, byteCount: Int(amount))
            state.pointee.counts.held += 1
            return SQLITE_OK
        }
        methods.xTruncate = { file, size in SQLiteWALVFS.afterFlush(file) { $1.xTruncate!($0, size) } }
        methods.xSync = { file, flags in SQLiteWALVFS.afterFlush(file) { $1.xSync!($0, flags) } }
        methods.xFileSize = { file, size in SQLiteWALVFS.afterFlush(file) { $1.xFileSize!($0, size) } }
        methods.xFileControl = { file, operation, argument in
            SQLiteWALVFS.afterFlush(file) { $1.xFileControl!($0, operation, argument) }
        }
        methods.xLock = { file, level in SQLiteWALVFS.passThrough(file) { $1.xLock!($0, level) } }
        methods.xUnlock = { file, level in SQLiteWALVFS.passThrough(file) { $1.xUnlock!($0, level) } }
        methods.xCheckReservedLock = { file, result in
            SQLiteWALVFS.passThrough(file) { $1.xCheckReservedLock!($0, result) }
        }
        methods.xSectorSize = { file in SQLiteWALVFS.passThrough(file) { $1.xSectorSize!($0) } }
        methods.xDeviceCharacteristics = { file in SQLiteWALVFS.passThrough(file) { $1.xDeviceCharacteristics!($0) } }
        let pointer = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        pointer.initialize(to: methods)
        return pointer
    }()
}
