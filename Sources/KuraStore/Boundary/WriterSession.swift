import KuraCore

/// The single writer's connection, confined to the writer thread.
///
/// One batch is: ``begin()`` (the database-wide write lock and the true log head), any reads the writer's
/// caches miss through ``reads`` (inside the same transaction), one ``write(_:)`` of the whole batch in
/// bulk, then ``commit()`` — or ``rollback()`` if anything failed, after which nothing of the batch exists.
public protocol WriterSession: AnyObject {
    /// Starts the batch's transaction and takes the database-wide write lock (SQLite: `BEGIN IMMEDIATE`;
    /// PostgreSQL: `BEGIN` and an advisory transaction lock), then returns the log head as stored: another
    /// process may have appended since this writer's last batch.
    func begin() throws(KuraError) -> LogHead

    /// Reads inside the write transaction: cache misses and the catch-up of a log tail written by others.
    var reads: any ReadSession { get }

    /// Writes a whole batch in bulk: its events (already sealed: seq, version, hashes), then every row change,
    /// already collapsed to the last change per row key. Multi-row prepared statements; the backend checks
    /// nothing the writer decided, but its constraints (unique `seq`, unique `(stream, version)`, append-only
    /// log) still refuse a batch that would break the chain.
    func write(_ batch: BatchWrite) throws(KuraError)

    /// Commits; durable when it returns (SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit=on`).
    func commit() throws(KuraError)

    /// Abandons the batch's transaction. Never fails: a broken connection has no transaction left.
    func rollback()

    /// Empties the named read-model tables (a subset of ``SQLSchema/readModelTables``; never the log,
    /// idempotency, nonces or checkpoints), inside the current transaction, before they are rebuilt: all of
    /// them by `kura replay`, the reputation tables when their rows were folded with another model.
    func resetReadModels(_ tables: [String]) throws(KuraError)

    /// Closes the connection (the writer thread's last act).
    func close()
}

/// What one batch writes: the sealed events in log order, then the collapsed row changes.
public struct BatchWrite: Sendable {
    /// The events, in `seq` order, continuing the head ``WriterSession/begin()`` returned.
    public var events: [StoredEvent]
    /// The read-model changes, at most one per row key (``RowChange/key``), in a stable order.
    public var changes: [RowChange]

    /// Creates a batch.
    public init(events: [StoredEvent] = [], changes: [RowChange] = []) {
        self.events = events
        self.changes = changes
    }

    /// True when there is nothing to write.
    public var isEmpty: Bool { events.isEmpty && changes.isEmpty }
}

/// An event as stored: every column of the `events` table, the payload already canonical and the hash
/// already computed by the writer (once, in memory).
public struct StoredEvent: Sendable, Equatable {
    /// The event, as readers see it.
    public let event: Event
    /// The RFC 8785 bytes of its payload, exactly as hashed.
    public let canonicalPayload: [UInt8]

    /// Wraps a sealed event and its payload's canonical bytes.
    public init(event: Event, canonicalPayload: [UInt8]) {
        self.event = event
        self.canonicalPayload = canonicalPayload
    }
}
