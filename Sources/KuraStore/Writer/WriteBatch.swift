import KuraCore
import KuraCrypto

/// The state of the batch being built: sealed events, row changes and idempotency answers, in memory until
/// the batch is written in bulk. Marks let one command's part be dropped when it is refused.
final class WriteBatch {
    let reads: any ReadSession
    let model: any WriterModel
    let versions: WriterCache<String, UInt64>
    let idempotency: WriterCache<String, IdempotencyRecord>
    var head: LogHead
    var events: [StoredEvent] = []
    var changes: [RowChange] = []
    /// Idempotency answers recorded in this batch (by key), before they are written.
    var recorded: [String: IdempotencyRecord] = [:]
    /// How many times this batch emptied read models to rebuild them (``WriteTransaction/resetReadModels(_:on:)``).
    var readModelResets = 0
    private var mark = (head: LogHead.empty, events: 0, changes: 0, recorded: [String]())

    init(
        head: LogHead, reads: any ReadSession, model: any WriterModel, versions: WriterCache<String, UInt64>,
        idempotency: WriterCache<String, IdempotencyRecord>
    ) {
        self.head = head
        self.reads = reads
        self.model = model
        self.versions = versions
        self.idempotency = idempotency
        self.mark.head = head
    }

    /// A command starts.
    func beginCommand() {
        mark = (head, events.count, changes.count, [])
        versions.commit()
        model.beginCommand()
    }

    /// The command ended; a failed one leaves nothing in the batch or the caches.
    func endCommand(succeeded: Bool) {
        if !succeeded {
            head = mark.head
            events.removeSubrange(mark.events...)
            changes.removeSubrange(mark.changes...)
            for key in mark.recorded { recorded[key] = nil }
            versions.undo()
        } else {
            versions.commit()
        }
        model.endCommand(succeeded: succeeded)
    }

    func noteRecorded(_ key: String) { mark.recorded.append(key) }

    /// What to write: the events and the changes collapsed per row.
    var write: BatchWrite { BatchWrite(events: events, changes: RowChange.collapse(changes)) }

    /// Forgets what was written (a replay writes in pages inside one transaction).
    func clearWritten() {
        events.removeAll(keepingCapacity: true)
        changes.removeAll(keepingCapacity: true)
        recorded.removeAll()
        mark = (head, 0, 0, [])
    }
}

/// One command's view of the batch it runs in: the log head including the commands ordered before it,
/// reads inside the write transaction, and the writer's model. Events are sealed in memory (seq, version,
/// prevHash, canonical payload, hash) when appended; nothing is written until the whole batch is.
public struct WriteTransaction {
    let batch: WriteBatch

    init(_ batch: WriteBatch) { self.batch = batch }

    /// Reads inside the write transaction. They do not see this batch's changes (those are in memory until the
    /// batch is written): ask the model's caches first.
    public var reads: any ReadSession { batch.reads }

    /// The writer's model (KuraService's `WriterState`).
    public var model: any WriterModel { batch.model }

    /// The log head including the commands before this one in the batch.
    public var head: LogHead { batch.head }

    /// The sequence number the next appended event will get.
    public var nextSeq: UInt64 { batch.head.seq + 1 }

    /// The current version of a stream (0 when it has no events), this batch included.
    public func version(of stream: String) throws(KuraError) -> UInt64 {
        try batch.versions.value(stream) { () throws(KuraError) -> UInt64? in try batch.reads.streamVersion(stream) }
            ?? 0
    }

    /// Declares that `stream` has no events yet: its name was derived from this command's seq, so its version
    /// is known to be 0 without a read (one round trip per new escrow on PostgreSQL, inside the write lock).
    /// Were the name taken after all, the log's unique `(stream, version)` would refuse the whole batch rather
    /// than fork the stream.
    public func startStream(_ stream: String) throws(KuraError) {
        if case .some(.some(let version)) = batch.versions.cached(stream), version > 0 {
            throw KuraError(.internalError, "stream \(stream) was declared new but is at version \(version)")
        }
        batch.versions.set(stream, nil)
    }

    /// Every event of one stream so far, in order, this batch's included.
    public func events(inStream stream: String) throws(KuraError) -> [Event] {
        let stored = try batch.reads.events(inStream: stream)
        let stillToWrite = batch.events.lazy.map(\.event).filter { $0.stream == stream }
        return stored + stillToWrite
    }

    /// Appends one event at the head, chained to the previous one, and folds it into the model. A throw
    /// (a stale `expectedVersion`, a payload that is not a JSON object, the model refusing) fails the command.
    @discardableResult
    public func append(_ new: NewEvent, actor: String, commandId: String, at: Timestamp) throws(KuraError) -> Event {
        let current = try version(of: new.stream)
        if let expected = new.expectedVersion, expected != current {
            throw KuraError(.versionConflict, "stream \(new.stream) is at version \(current), expected \(expected)")
        }
        // Every integer in the hashed JSON must be exact in IEEE double, as RFC 8785 readers parse it.
        guard at.milliseconds.magnitude <= (1 << 53) - 1 else {
            throw KuraError(.invalidRequest, "event time \(at.milliseconds) is outside ±2^53-1 ms")
        }
        // Written bytes are an object when their first byte opens one (canonical JSON has no leading space): the
        // JSON value of a typed event's payload is not made on this path.
        let isObject = new.canonicalPayload.map { $0.first == UInt8(ascii: "{") } ?? (new.payload.objectValue != nil)
        guard isObject else { throw KuraError(.invalidRequest, "an event payload must be a JSON object") }
        let payloadText: [UInt8]
        if let written = new.canonicalPayload {
            // Debug and test builds make the JSON value and check the bytes against it.
            assert(written == (try? new.payload.canonicalBytes()), "\(new.type): written payload bytes differ")
            payloadText = written
        } else {
            do { payloadText = try new.payload.canonicalBytes() } catch {
                throw KuraError(.invalidRequest, "event payload: \(error.reason)")
            }
        }
        let event = Event(
            seq: nextSeq, stream: new.stream, version: current + 1, type: new.type, content: new.content,
            canonicalPayload: payloadText, at: at, actor: actor, commandId: commandId, prevHash: batch.head.hash)
        // The log grows by one and the stream's version by one (debug and test builds).
        assert(event.seq == batch.head.seq + 1 && event.version == current + 1, "seq or version did not step by one")
        batch.events.append(StoredEvent(event: event, canonicalPayload: payloadText))
        batch.versions.set(new.stream, event.version)
        batch.head = LogHead(seq: event.seq, hash: event.hash)
        try batch.model.apply(event, decoded: new.decoded, self)
        return event
    }

    /// Records a read-model change, written with the batch (the last change per row wins).
    public func change(_ change: RowChange) { batch.changes.append(change) }

    /// The stored response for this key, this batch included; `idempotency_conflict` when the key came with
    /// another request.
    public func idempotentResponse(for key: IdempotencyKey) throws(KuraError) -> [UInt8]? {
        let record: IdempotencyRecord?
        if let pending = batch.recorded[key.key] {
            record = pending
        } else if let cached = batch.idempotency.cached(key.key), let cached {
            record = cached
        } else {
            // Only answers are cached, never "unused": another process may record the key at any time.
            record = try batch.reads.idempotency(key.key)
        }
        guard let record else { return nil }
        guard record.requestHash == key.requestHash else {
            throw KuraError(.idempotencyConflict, "Idempotency-Key '\(key.key)' was already used for another request")
        }
        return record.response
    }

    /// Records the answer to this key, in the same batch as the command's events.
    public func recordResponse(_ response: [UInt8], for key: IdempotencyKey) {
        let record = IdempotencyRecord(key: key.key, requestHash: key.requestHash, response: response, seq: head.seq)
        batch.recorded[key.key] = record
        batch.noteRecorded(key.key)
        change(.idempotency(record))
    }

    // MARK: Rebuilding (kura replay)

    /// Empties read-model tables to rebuild them in this transaction (``WriterSession/resetReadModels(_:)``),
    /// counted so that this writer, which rebuilds its model with them, does not take its own rebuild for
    /// another writer's and forget that model at its next batch.
    public func resetReadModels(_ models: ReadModelSet, on session: any WriterSession) throws(KuraError) {
        try session.resetReadModels(models)
        batch.readModelResets += 1
    }

    /// Folds an event already in the log into the model (replay), recording its row changes.
    public func project(_ event: Event) throws(KuraError) {
        try batch.model.apply(event, decoded: nil, self)
    }

    /// Writes what is pending into the open transaction and lets the model drop cold entries (a replay writes
    /// page by page inside one transaction, so memory stays bounded).
    public func flush(to session: any WriterSession) throws(KuraError) {
        batch.model.endCommand(succeeded: true)
        try batch.model.finishBatch(self)
        let write = batch.write
        if !write.isEmpty { try session.write(write) }
        batch.clearWritten()
        batch.model.trim()
        batch.model.beginCommand()
    }
}
