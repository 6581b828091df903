import CLibPQ
import Foundation
import KuraCore
import KuraStore

/// One synchronous libpq connection, used by one thread at a time (the writer's thread, or a reader's).
///
/// Statements are prepared once per connection and cached by their text; parameters go out in binary
/// where the server's type for them has a binary form we write (integers, bytes, text) and results come
/// back in binary. ``run(_:)-(PostgresBatch)`` sends many statements in one round trip (libpq's pipeline
/// mode), and statements whose answers nobody waits for can be deferred into the next round trip
/// (``deferRun(_:_:)``): that is how a batch of row writes reaches the server.
///
/// It is the shared SQL layer's ``SQLConnection``: ``SQLReadSession`` and ``SQLBatchWriter`` run their
/// statements through it, translated by ``SQLDialect/postgres`` once when first prepared.
///
/// A lost connection (the server stopped, restarted, or cannot be reached) is `storage_unavailable`. The
/// connection does not reconnect by itself in the middle of anything: its owner calls
/// ``reconnectIfNeeded()`` at the start of its next unit of work (a batch, a read), never inside a
/// transaction, so a transaction is never silently continued on a new session.
public final class PostgresConnection {
    /// Where the connection goes (print it: it has no password).
    public let url: PostgresURL
    /// Statements run after every (re)connection, e.g. `SET synchronous_commit = on`.
    public let sessionSetup: String
    private(set) var handle: OpaquePointer
    private var prepared: [String: PreparedStatement] = [:]
    private var statementCount = 0
    private var pending = PostgresBatch()
    /// While true, ``run(_:_:)`` defers its statement (see ``deferRun(_:_:)``): the writer session's bulk
    /// writes then reach the server in a few round trips, with the `COMMIT`.
    public var defersRuns = false

    struct PreparedStatement {
        let name: String
        let parameterTypes: [Oid]
    }

    /// Connects to `url` and runs `sessionSetup` on the new session.
    ///
    /// Unless the URL says otherwise, libpq gives up connecting after 5 seconds (`connect_timeout`), and the
    /// session is named `kura` in `pg_stat_activity` (`application_name`).
    public init(_ url: PostgresURL, sessionSetup: String = "") throws(KuraError) {
        var url = url
        if url["connect_timeout"] == nil { url = url.setting("connect_timeout", "5") }
        if url["application_name"] == nil { url = url.setting("application_name", "kura") }
        self.url = url
        self.sessionSetup = sessionSetup
        // Every stored property is set from here on, so a throw below runs deinit, which finishes the handle.
        handle = Self.open(url)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw KuraError(.storageUnavailable, "cannot connect to \(url): \(Self.message(handle))")
        }
        Self.silenceNotices(handle)
        if !sessionSetup.isEmpty { try execute(sessionSetup) }
    }

    deinit { if !isClosed { PQfinish(handle) } }

    private var isClosed = false

    /// Ends the session now (its owner's last act: the writer stopping), not when the last reference goes.
    /// Nothing may use the connection afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        PQfinish(handle)
    }

    private static func open(_ url: PostgresURL) -> OpaquePointer {
        let keywords: [UnsafeMutablePointer<CChar>?] = url.options.map { strdup($0.keyword) } + [nil]
        let values: [UnsafeMutablePointer<CChar>?] = url.options.map { strdup($0.value) } + [nil]
        defer {
            for pointer in keywords { free(pointer) }
            for pointer in values { free(pointer) }
        }
        let constantKeywords: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } }
        let constantValues: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } }
        let connection: OpaquePointer? = constantKeywords.withUnsafeBufferPointer { k in
            constantValues.withUnsafeBufferPointer { v in PQconnectdbParams(k.baseAddress, v.baseAddress, 0) }
        }
        // libpq returns nil only when it cannot allocate the connection object.
        guard let connection else { fatalError("libpq could not allocate a connection") }
        return connection
    }

    /// NOTICEs (e.g. "relation already exists, skipping") would otherwise be printed on stderr by libpq.
    private static func silenceNotices(_ handle: OpaquePointer) {
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// Whether the session is up, as far as libpq knows: a server that went away is noticed by the next
    /// statement, which then fails with `storage_unavailable`.
    public var isConnected: Bool { !isClosed && PQstatus(handle) == CONNECTION_OK }

    /// Whether a transaction is open (or failed and not yet rolled back) on this session.
    public var inTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Opens a new session with the same parameters, dropping the old one and its prepared statements.
    public func reconnect() throws(KuraError) {
        guard !isClosed else { throw KuraError(.storageUnavailable, "the connection to \(url) was closed") }
        PQreset(handle)
        prepared.removeAll()
        pending = PostgresBatch()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw KuraError(.storageUnavailable, "cannot reconnect to \(url): \(Self.message(handle))")
        }
        Self.silenceNotices(handle)
        if !sessionSetup.isEmpty { try execute(sessionSetup) }
    }

    /// Reconnects when the session is known to be lost. Call it only between units of work.
    public func reconnectIfNeeded() throws(KuraError) {
        if !isConnected { try reconnect() }
    }

    // MARK: Statements

    /// Runs one or more statements with no parameters (the simple query protocol), e.g. a schema script.
    /// Statements deferred with ``deferRun(_:_:)`` are sent first.
    public func execute(_ sql: String) throws(KuraError) {
        try flush()
        let result = PQexec(handle, sql)
        _ = try check(result, sql)
    }

    /// Runs `sql` with `parameters` and returns its rows. The text may use the shared layer's `?`
    /// placeholders or PostgreSQL's `$n` (``SQLDialect/translate(_:)`` runs once, when it is prepared).
    /// Statements deferred with ``deferRun(_:_:)`` go in the same round trip, ahead of it.
    @discardableResult
    public func result(_ sql: String, _ parameters: [SQLValue] = []) throws(KuraError) -> PostgresRows {
        if !pending.isEmpty {
            var batch = pending
            pending = PostgresBatch()
            batch.append(sql, parameters)
            return try run(batch).last!
        }
        let statement = try prepare(sql)
        let encoded = try PostgresParameters(parameters, types: statement.parameterTypes, sql: sql)
        let result = encoded.withPointers { values, lengths, formats in
            PQexecPrepared(handle, statement.name, Int32(encoded.count), values, lengths, formats, 1)
        }
        return try check(result, sql)
    }

    /// The first column of the first row, if there is a row.
    public func scalar(_ sql: String, _ parameters: SQLValue...) throws(KuraError) -> SQLValue? {
        let rows = try result(sql, parameters)
        return rows.count > 0 && rows.columnCount > 0 ? rows.value(0, 0) : nil
    }

    /// Queues a statement whose answer nobody waits for: it goes out with the next statement that needs a
    /// round trip anyway (``result(_:_:)``, ``execute(_:)``, ``flush()``), in one pipeline. A failure is
    /// thrown there.
    public func deferRun(_ sql: String, _ parameters: [SQLValue] = []) {
        pending.append(sql, parameters)
    }

    /// Drops the deferred statements unsent (e.g. a lazy `BEGIN` that no statement followed).
    public func discardDeferred() { pending = PostgresBatch() }

    /// Whether statements are waiting to be sent.
    public var hasDeferred: Bool { !pending.isEmpty }

    /// Sends the deferred statements now.
    public func flush() throws(KuraError) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = PostgresBatch()
        try run(batch)
    }

    /// The cached prepared statement for `sql`, preparing it (and asking the server for its parameter
    /// types) on first use.
    func prepare(_ sql: String) throws(KuraError) -> PreparedStatement {
        if let statement = prepared[sql] { return statement }
        statementCount += 1
        let name = "kura_\(statementCount)"
        _ = try check(PQprepare(handle, name, SQLDialect.postgres.translate(sql), 0, nil), sql)
        let description = try check(PQdescribePrepared(handle, name), sql)
        let count = Int(PQnparams(description.result))
        let types = (0..<count).map { PQparamtype(description.result, Int32($0)) }
        let statement = PreparedStatement(name: name, parameterTypes: types)
        prepared[sql] = statement
        return statement
    }

    /// Wraps a finished result, or throws its error (and frees it).
    func check(_ result: OpaquePointer?, _ sql: String) throws(KuraError) -> PostgresRows {
        guard let result else { throw PostgresErrors.error(nil, handle, sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(result)
        default:
            let error = PostgresErrors.error(result, handle, sql: sql)
            PQclear(result)
            throw error
        }
    }

    static func message(_ handle: OpaquePointer) -> String {
        guard let text = PQerrorMessage(handle) else { return "unknown error" }
        let message = String(cString: text).trimmingWhitespace
        return message.isEmpty ? "unknown error" : message.replacingNewlines
    }
}

extension String {
    /// Multi-line libpq messages on one line, for logs and problem details.
    var replacingNewlines: String {
        split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace }.joined(separator: "; ")
    }
}

extension Substring {
    var trimmingWhitespace: String { String(self).trimmingWhitespace }
}
