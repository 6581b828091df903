import CLibPQ
import KuraCore

extension PostgresConnection {
    /// The most statements sent before their results are read. Results of writes are a few bytes each,
    /// so this stays far below what the socket buffers hold while libpq blocks on sending.
    static let pipelineDepth = 256

    /// Runs every statement of `batch` in order, sending them without waiting for each answer (libpq's
    /// pipeline mode), and returns their rows in order. The first failure is thrown; statements after it
    /// are skipped by the server. Inside a transaction the caller then rolls back; outside one, the
    /// statements before the failure stand.
    @discardableResult
    public func run(_ batch: PostgresBatch) throws(KuraError) -> [PostgresRows] {
        var prepared: [(statement: PreparedStatement, parameters: PostgresParameters)] = []
        prepared.reserveCapacity(batch.count)
        for (sql, values) in batch.statements {
            let statement = try prepare(sql)
            prepared.append((statement, try PostgresParameters(values, types: statement.parameterTypes, sql: sql)))
        }
        var rows: [PostgresRows] = []
        rows.reserveCapacity(batch.count)
        var start = 0
        while start < prepared.count {
            let end = min(start + Self.pipelineDepth, prepared.count)
            rows += try pipeline(prepared[start..<end], sql: batch.statements[start..<end].map(\.sql))
            start = end
        }
        return rows
    }

    private func pipeline(
        _ items: ArraySlice<(statement: PreparedStatement, parameters: PostgresParameters)>, sql: [String]
    ) throws(KuraError) -> [PostgresRows] {
        guard PQenterPipelineMode(handle) == 1 else { throw PostgresErrors.error(nil, handle, sql: sql.first ?? "") }
        defer { PQexitPipelineMode(handle) }
        for (statement, parameters) in items {
            let sent = parameters.withPointers { values, lengths, formats in
                PQsendQueryPrepared(handle, statement.name, Int32(parameters.count), values, lengths, formats, 1)
            }
            guard sent == 1 else {
                let error = PostgresErrors.error(nil, handle, sql: statement.name)
                throw drain(error, syncSent: false) ?? error
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            let error = PostgresErrors.error(nil, handle, sql: "sync")
            throw drain(error, syncSent: false) ?? error
        }
        var rows: [PostgresRows] = []
        var failure: KuraError?
        for index in 0..<items.count {
            // Each statement's results end with a null; an aborted pipeline answers PGRES_PIPELINE_ABORTED.
            while let result = PQgetResult(handle) {
                switch PQresultStatus(result) {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                    rows.append(PostgresRows(result))
                case PGRES_PIPELINE_ABORTED:
                    PQclear(result)
                default:
                    if failure == nil { failure = PostgresErrors.error(result, handle, sql: sql[index]) }
                    PQclear(result)
                }
            }
            if PQstatus(handle) != CONNECTION_OK { break }
        }
        if let failure = drain(failure) { throw failure }
        return rows
    }

    /// Reads what is left up to the pipeline's sync point (sending the sync if it was not sent), so the
    /// connection is idle again; returns `failure`, or the connection's error if it broke meanwhile.
    private func drain(_ failure: KuraError?, syncSent: Bool = true) -> KuraError? {
        if !syncSent, PQstatus(handle) == CONNECTION_OK { PQpipelineSync(handle) }
        // Between two statements' results PQgetResult answers null; the sync result ends the pipeline.
        var separators = 0
        while PQstatus(handle) == CONNECTION_OK, separators <= Self.pipelineDepth + 1 {
            guard let result = PQgetResult(handle) else {
                separators += 1
                continue
            }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { return failure }
        }
        return failure ?? KuraError(.storageUnavailable, "PostgreSQL is unavailable: \(Self.message(handle))")
    }
}
