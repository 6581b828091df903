import CLibPQ
import KuraCore
import KuraStore

extension PostgresConnection {
    /// Runs `sql` and hands its rows to `row` one at a time as they arrive (libpq's single-row mode), so a
    /// scan of the whole log (`kura log verify`, the projection digest) holds one row in memory, not all.
    /// A `row` that throws ends the scan; the rest of the answer is read and dropped.
    public func stream(_ sql: String, _ parameters: [SQLValue], _ row: (any SQLRow) throws(KuraError) -> Void)
        throws(KuraError)
    {
        try flush()
        let statement = try prepare(sql)
        let encoded = try PostgresParameters(parameters, types: statement.parameterTypes, sql: sql)
        let sent = encoded.withPointers { values, lengths, formats in
            PQsendQueryPrepared(handle, statement.name, Int32(encoded.count), values, lengths, formats, 1)
        }
        guard sent == 1 else { throw PostgresErrors.error(nil, handle, sql: sql) }
        PQsetSingleRowMode(handle)
        var failure: KuraError?
        while let result = PQgetResult(handle) {
            let rows = PostgresRows(result)
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                guard failure == nil else { continue }
                do throws(KuraError) { try row(PostgresRow(rows: rows, index: 0)) } catch { failure = error }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                continue
            default:
                if failure == nil { failure = PostgresErrors.error(result, handle, sql: sql) }
            }
        }
        if let failure { throw failure }
        if PQstatus(handle) != CONNECTION_OK { throw PostgresErrors.error(nil, handle, sql: sql) }
    }
}
