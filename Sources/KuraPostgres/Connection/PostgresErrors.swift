import CLibPQ
import KuraCore

/// How a libpq failure becomes a ``KuraError``: the one place SQLSTATEs meet Kura's codes.
enum PostgresErrors {
    /// The error of `result` (or of the connection, when there is no result).
    ///
    /// - A lost or unusable session, a server shutting down or not yet accepting connections, or too many
    ///   connections: `storage_unavailable` (answered 503; the next batch reconnects).
    /// - A unique or other integrity violation: `version_conflict`, as the SQLite backend answers a
    ///   constraint (two writers raced for a stream version, an idempotency key, a nonce).
    /// - Anything else (including the log's append-only trigger and a missing privilege): `storage_failure`.
    static func error(_ result: OpaquePointer?, _ connection: OpaquePointer, sql: String) -> KuraError {
        let state = sqlState(result)
        let message = text(result, connection)
        if PQstatus(connection) != CONNECTION_OK || isUnavailable(state) {
            return KuraError(.storageUnavailable, "PostgreSQL is unavailable: \(message)")
        }
        if let state, state.hasPrefix("23") {
            return KuraError(.versionConflict, message)
        }
        let statement = sql.split(whereSeparator: \.isNewline).first.map { String($0.prefix(60)) } ?? ""
        return KuraError(.storageFailure, "\(message) [\(state ?? "no SQLSTATE")] in: \(statement)")
    }

    /// Connection exceptions (class 08), insufficient resources (53: too many connections, disk full),
    /// operator intervention (57P01–57P05: shutdown, crash, server starting up) and query cancellation by a
    /// timeout (57014) mean "the database cannot serve this now", not "this request is wrong".
    static func isUnavailable(_ state: String?) -> Bool {
        guard let state else { return false }
        return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "57014"
    }

    static func sqlState(_ result: OpaquePointer?) -> String? {
        guard let result, let field = PQresultErrorField(result, kura_pg_diag_sqlstate) else { return nil }
        return String(cString: field)
    }

    static func text(_ result: OpaquePointer?, _ connection: OpaquePointer) -> String {
        if let result, let field = PQresultErrorField(result, kura_pg_diag_message_primary) {
            return String(cString: field).replacingNewlines
        }
        return PostgresConnection.message(connection)
    }
}
