import KuraCore

/// A place where Kura's log and read models live: an SQLite file or a PostgreSQL database.
///
/// A backend hands out one ``WriterSession`` (the single writer's connection, confined to the writer thread)
/// and runs reads on its own reader threads, never on a Swift cooperative thread: ``read(_:_:)`` suspends the
/// caller until a reader connection has answered. KuraService talks only to this protocol and to the typed
/// records of ``ReadSession`` and ``RowChange``; every SQL statement lives behind it.
public protocol StorageBackend: AnyObject, Sendable {
    /// Opens the writer's session. Called once per writer; the session is then used by one thread only.
    func makeWriterSession() throws(KuraError) -> any WriterSession

    /// Runs `body` on a reader connection on a reader thread and returns its answer.
    ///
    /// `body` sees one consistent snapshot of the database for its whole run. Lanes keep authentication from
    /// queueing behind public scans: ``ReadLane/auth`` has its own connection, ``ReadLane/public`` has a bounded
    /// queue and refuses with `overloaded` (HTTP 503) when it is full, ``ReadLane/standard`` serves the rest.
    func read<T: Sendable>(
        _ lane: ReadLane, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T

    /// Stops the reader threads and closes their connections. Reads after `close()` fail with `storage_failure`.
    func close()
}

/// Which reader queue a read waits in.
public enum ReadLane: String, Sendable, CaseIterable {
    /// Authentication (API key and signed-request lookups): its own connection, never behind other reads.
    case auth
    /// Unauthenticated public reads (receipts, proofs, the log, reputation): a bounded queue, `overloaded`
    /// when full, so that anonymous load cannot starve authenticated callers.
    case `public`
    /// Everything else: authenticated queries, the sweeper's scans, tools.
    case standard
}
