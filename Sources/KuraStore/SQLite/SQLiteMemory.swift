import CSQLite

/// What SQLite itself has allocated in this process: page caches, prepared statements, schemas, and the
/// scratch memory of statements running now, over every connection.
///
/// With RSS beside it, it tells growth inside SQLite (its page caches filling, up to their configured size)
/// from growth elsewhere in the process. `GET /metrics` shows it as `kura_sqlite_memory_bytes`.
public enum SQLiteMemory {
    /// Bytes SQLite has allocated and not yet freed (`sqlite3_memory_used`).
    public static var used: Int64 { sqlite3_memory_used() }

    /// The most bytes SQLite has held at once since the process started (`sqlite3_memory_highwater`).
    public static var highWater: Int64 { sqlite3_memory_highwater(0) }
}

extension SQLiteConnection {
    /// Heap bytes this connection's page cache holds now (`SQLITE_DBSTATUS_CACHE_USED`).
    public var pageCacheBytes: Int { status(SQLITE_DBSTATUS_CACHE_USED) }

    /// Heap bytes this connection's prepared statements hold (`SQLITE_DBSTATUS_STMT_USED`): the statement
    /// cache, which must not grow with the values a caller sends.
    public var statementBytes: Int { status(SQLITE_DBSTATUS_STMT_USED) }

    private func status(_ operation: Int32) -> Int {
        var current: Int32 = 0
        var highWater: Int32 = 0
        guard sqlite3_db_status(handle, operation, &current, &highWater, 0) == SQLITE_OK else { return 0 }
        return Int(current)
    }
}
