import CLibPQ
import KuraCore
import KuraStore

extension PostgresConnection: SQLConnection {
    public var dialect: SQLDialect { .postgres }

    /// Runs a query; a scan with no parameters and no `LIMIT` (the chain walk, the projection digest) is
    /// streamed row by row (``stream(_:_:_:)``), every other answer is read whole.
    public func query(_ sql: String, _ bindings: [SQLValue], _ row: (any SQLRow) throws(KuraError) -> Void)
        throws(KuraError)
    {
        if bindings.isEmpty && !sql.contains("LIMIT") { return try stream(sql, bindings, row) }
        let rows = try result(sql, bindings)
        for index in 0..<rows.count { try row(PostgresRow(rows: rows, index: index)) }
    }

    public func run(_ sql: String, _ bindings: [SQLValue]) throws(KuraError) {
        if defersRuns {
            deferRun(sql, bindings)
        } else {
            try result(sql, bindings)
        }
    }
}

/// One row of a ``PostgresRows``, as the shared SQL layer reads rows.
struct PostgresRow: SQLRow {
    let rows: PostgresRows
    let index: Int

    var columnCount: Int { rows.columnCount }
    func isNull(_ column: Int) -> Bool { rows.isNull(index, column) }
    func int64(_ column: Int) -> Int64 { rows.int64(index, column) }
    func text(_ column: Int) -> String { rows.text(index, column) }
    func bytes(_ column: Int) -> [UInt8] { rows.bytes(index, column) }
    func isInteger(_ column: Int) -> Bool { rows.isInteger(column) }
    func isBlob(_ column: Int) -> Bool { PQftype(rows.result, Int32(column)) == PostgresType.bytea }
}
