import KuraCore

/// The little the shared SQL layer needs from a backend's connection: run text, run a prepared statement
/// with parameters and read its rows. SQLite and PostgreSQL each implement it once; every statement of
/// ``SQLReadSession`` and ``SQLBatchWriter`` is then shared.
///
/// Statements are written with `?` placeholders and SQLite's types; a connection translates them for its
/// ``dialect`` once, when it first prepares a text (see ``SQLDialect/translate(_:)``), and keeps the
/// prepared statement for the next call with the same text.
public protocol SQLConnection: AnyObject {
    /// The SQL this connection speaks.
    var dialect: SQLDialect { get }
    /// Runs one or more statements without parameters or rows (DDL, `BEGIN`, `COMMIT`).
    func execute(_ sql: String) throws(KuraError)
    /// Runs one statement with `bindings` (`?` 1…n), calling `row` for each result row in order.
    func query(_ sql: String, _ bindings: [SQLValue], _ row: (any SQLRow) throws(KuraError) -> Void) throws(KuraError)
    /// Runs one statement with `bindings` and no result rows.
    func run(_ sql: String, _ bindings: [SQLValue]) throws(KuraError)
}

extension SQLConnection {
    /// Every row, mapped.
    public func rows<T>(_ sql: String, _ bindings: [SQLValue] = [], _ map: (any SQLRow) throws(KuraError) -> T)
        throws(KuraError) -> [T]
    {
        var out: [T] = []
        try query(sql, bindings) { row throws(KuraError) in out.append(try map(row)) }
        return out
    }

    /// The first row, mapped, if any.
    public func first<T>(_ sql: String, _ bindings: [SQLValue] = [], _ map: (any SQLRow) throws(KuraError) -> T)
        throws(KuraError) -> T?
    {
        var out: T?
        try query(sql, bindings) { row throws(KuraError) in
            if out == nil { out = try map(row) }
        }
        return out
    }
}
