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
