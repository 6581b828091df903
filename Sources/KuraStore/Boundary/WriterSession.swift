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

    /// ``begin()``, and with it the first page of what other writers appended after `known`, where reading it
    /// separately would cost round trips inside the lock (PostgreSQL: in the pipeline that takes the lock).
    /// A backend whose reads are in-process answers only the head (the default) and the catch-up reads the
    /// tail itself. Nothing is read ahead when `known` is nil.
    func begin(after known: LogPosition?) throws(KuraError) -> BatchStart

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

    /// Empties read models (never the log, idempotency, nonces or checkpoints), inside the current transaction,
    /// before they are rebuilt: all of them by `kura replay`, the reputation's when its rows were folded with
    /// another model. Counts one more rebuild (``BatchStart/readModelEpoch``), so that every other writer forgets
    /// what it cached.
    func resetReadModels(_ models: ReadModelSet) throws(KuraError)

    /// Closes the connection (the writer thread's last act).
    func close()
}

/// Which read models a rebuild empties (``WriterSession/resetReadModels(_:)``).
public enum ReadModelSet: Sendable {
    /// Every read model: `kura replay`.
    case all
    /// The reputation's parties, pairs and log, folded again from the stored receipts.
    case reputation
}

extension WriterSession {
    /// The head alone: the catch-up reads the tail through ``reads`` when it needs it.
    public func begin(after known: LogPosition?) throws(KuraError) -> BatchStart {
        BatchStart(head: try begin())
    }
}

/// Where a writer's knowledge of the log ends: what its catch-up reads after.
public struct LogPosition: Sendable, Equatable {
    /// The writer's last known event. The tail is read from it on, to check that it is still in the log.
    public var lastEvent: LogHead
    /// The index of the last receipt whose leaf the writer's model holds (-1: none); nil when it holds no tree.
    public var lastReceipt: Int64?

    /// A position.
    public init(lastEvent: LogHead, lastReceipt: Int64?) {
        self.lastEvent = lastEvent
        self.lastReceipt = lastReceipt
    }
}

/// What a batch's transaction starts from: the head as stored, and the first pages of the tail when the
/// backend read them with the lock (``WriterSession/begin(after:)``).
public struct BatchStart: Sendable {
    /// The most events or receipts in one page of a catch-up.
    public static let tailPageSize = 1000

    /// The head as stored.
    public var head: LogHead
    /// The events from the known last event on (inclusive; from seq 1 when it is seq 0), at most
    /// ``tailPageSize`` + 1; nil when not read ahead.
    public var events: [Event]?
    /// The receipts after the known last receipt and the rows they changed; nil when not read ahead.
    public var receipts: ReceiptTail?
    /// How many times the read models were emptied to be rebuilt (``SQLSchema/readModelEpoch``); nil when the
    /// backend keeps no count.
    public var readModelEpoch: Int64?

    /// A start; pages nil when not read ahead.
    public init(head: LogHead, events: [Event]? = nil, receipts: ReceiptTail? = nil, readModelEpoch: Int64? = nil) {
        self.head = head
        self.events = events
        self.receipts = receipts
        self.readModelEpoch = readModelEpoch
    }
}

/// The first page of the receipts after a writer's last known receipt, with the reputation rows of every
/// party and pair those receipts name (a superset of the rows they changed), read in one snapshot.
public struct ReceiptTail: Sendable {
    /// The receipts, at most ``BatchStart/tailPageSize``, in index order.
    public var receipts: [ReceiptRow]
    /// The `reputation_parties` rows of the receipts' payers and payees (absent rows: none).
    public var parties: [ReputationPartyRow]
    /// The `reputation_pairs` rows of each receipt's payer and payee, either way round, any role.
    public var pairs: [ReputationPairRow]

    /// A tail page.
    public init(receipts: [ReceiptRow], parties: [ReputationPartyRow], pairs: [ReputationPairRow]) {
        self.receipts = receipts
        self.parties = parties
        self.pairs = pairs
    }

    /// Whether the page holds every receipt to the head (a full page may not), so that its rows are all the
    /// rows the tail changed.
    public var isComplete: Bool { receipts.count < BatchStart.tailPageSize }
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
