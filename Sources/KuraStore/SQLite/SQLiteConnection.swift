import CSQLite
import Foundation
import KuraCore

/// One SQLite connection. Not thread-safe by itself: the store gives each connection to one thread at a time.
public final class SQLiteConnection: SQLConnection {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// The file path this connection opened.
    public let path: String

    /// Opens (and with `create`, creates) a database file. `coalescingWAL`: the WAL's writes go out once per sync
    /// (``SQLiteWALVFS``), for a connection whose every commit syncs (`synchronous=FULL`).
    public init(path: String, create: Bool, readOnly: Bool = false, coalescingWAL: Bool = false) throws(KuraError) {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create { flags |= SQLITE_OPEN_CREATE }
        _ = SQLitePageCache.isInstalled  // before SQLite initialises itself on the first open
        let vfs = coalescingWAL && SQLiteWALVFS.isRegistered ? SQLiteWALVFS.name : nil
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw KuraError(.storageFailure, "cannot open database \(path): \(message)")
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        if vfs != nil {
            // The VFS's two conditions: every commit syncs (which writes the held frames out before SQLite
            // publishes them), and a transaction that ends without one forgets what it held. Kura sets no other
            // rollback hook (SQLite keeps one per connection).
            sqlite3_rollback_hook(
                db, { db in SQLiteWALVFS.rolledBack(OpaquePointer(db!)) }, UnsafeMutableRawPointer(db))
            try execute("PRAGMA synchronous = FULL")
        }
    }

    private var isClosed = false

    deinit { close() }

    /// Finalizes the cached statements and closes the connection now, rather than when the last reference
    /// goes; the connection must not be used afterwards.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(KuraError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(message)
            throw SQLiteConnection.error(rc, text)
        }
    }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    public func statement(_ sql: String) throws(KuraError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw SQLiteConnection.error(rc, lastErrorMessage) }
        let statement = SQLiteStatement(raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `bindings` and returns nothing.
    public func run(_ sql: String, _ bindings: SQLiteValue...) throws(KuraError) {
        let statement = try self.statement(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        while try statement.step() {}
    }

    /// The first column of the first row, if any.
    public func scalar(_ sql: String, _ bindings: SQLiteValue...) throws(KuraError) -> SQLiteValue? {
        let statement = try self.statement(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.value(0)
    }

    public var dialect: SQLDialect { .sqlite }

    public func query(_ sql: String, _ bindings: [SQLValue], _ row: (any SQLRow) throws(KuraError) -> Void)
        throws(KuraError)
    {
        let statement = try self.statement(sql)
        defer { statement.reset() }
        try statement.bindValues(bindings)
        while try statement.step() { try row(statement) }
    }

    public func run(_ sql: String, _ bindings: [SQLValue]) throws(KuraError) {
        let statement = try self.statement(sql)
        defer { statement.reset() }
        try statement.bindValues(bindings)
        while try statement.step() {}
    }

    /// Whether a transaction is open (SQLite is not in autocommit mode). SQLite rolls a transaction back by
    /// itself after some errors (I/O, out of memory, a full disk); statements after that commit one by one.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// The primary result code of the last statement that failed (`SQLITE_IOERR`, `SQLITE_FULL`, …).
    var lastPrimaryErrorCode: Int32 { sqlite3_errcode(handle) & 0xff }

    static func error(_ rc: Int32, _ message: String) -> KuraError {
        let primary = rc & 0xff
        if primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT {
            return KuraError(.unsupportedDatabase, "not a Kura database (\(message))")
        }
        if primary == SQLITE_CONSTRAINT {
            return KuraError(.versionConflict, message)
        }
        return KuraError(.storageFailure, message)
    }
}
