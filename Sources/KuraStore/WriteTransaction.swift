import KuraCore
import KuraCrypto

/// The view one command has inside a group commit: append events, read and write its read models,
/// record its idempotent answer. Everything it does commits or rolls back with the command.
public struct WriteTransaction {
    /// The connection, for read models' SQL. Do not begin or commit transactions on it.
    public let db: SQLiteConnection
    /// The log head including the commands before this one in the batch.
    public internal(set) var head: LogHead
    let projectors: [any Projector]

    init(db: SQLiteConnection, head: LogHead, projectors: [any Projector]) {
        self.db = db
        self.head = head
        self.projectors = projectors
    }

    /// The sequence number the next appended event will get.
    public var nextSeq: UInt64 { head.seq + 1 }

    /// The current version of a stream (0 when it has no events).
    public func version(of stream: String) throws(KuraError) -> UInt64 {
        UInt64(
            try db.scalar("SELECT version FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1", .text(stream))?
                .int64 ?? 0)
    }

    /// Every event of one stream so far, in order.
    public func events(inStream stream: String) throws(KuraError) -> [Event] {
        try SQLiteEventStore.events(inStream: stream, db)
    }

    /// Appends one event at the head, chained to the previous one, and runs the projectors on it.
    @discardableResult
    public mutating func append(_ new: NewEvent, actor: String, commandId: String, at: Timestamp)
        throws(KuraError) -> Event
    {
        let current = try version(of: new.stream)
        if let expected = new.expectedVersion, expected != current {
            throw KuraError(
                .versionConflict, "stream \(new.stream) is at version \(current), expected \(expected)")
        }
        // Every integer in the hashed JSON must be exact in IEEE double, as RFC 8785 readers parse it.
        guard at.milliseconds.magnitude <= (1 << 53) - 1 else {
            throw KuraError(.invalidRequest, "event time \(at.milliseconds) is outside ±2^53-1 ms")
        }
        guard case .object = new.payload else {
            throw KuraError(.invalidRequest, "an event payload must be a JSON object")
        }
        let payloadText: [UInt8]
        do { payloadText = try new.payload.canonicalBytes() } catch {
            throw KuraError(.invalidRequest, "event payload: \(error.reason)")
        }
        let event = Event(
            seq: nextSeq, stream: new.stream, version: current + 1, type: new.type, payload: new.payload,
            canonicalPayload: payloadText, at: at, actor: actor, commandId: commandId, prevHash: head.hash)
        try db.run(
            "INSERT INTO events(seq, stream, version, type, payload, at, actor, command_id, prev_hash, hash) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            .integer(Int64(event.seq)), .text(event.stream), .integer(Int64(event.version)), .text(event.type),
            .text(String(decoding: payloadText, as: UTF8.self)), .integer(at.milliseconds), .text(actor),
            .text(commandId), .blob(event.prevHash), .blob(event.hash))
        for projector in projectors { try projector.apply(event, decoded: new.decoded, db) }
        head = LogHead(seq: event.seq, hash: event.hash)
        return event
    }

    /// The stored response for this key; throws `idempotency_conflict` when the key came with another request.
    public func idempotentResponse(for key: IdempotencyKey) throws(KuraError) -> [UInt8]? {
        let statement = try db.statement("SELECT request_hash, response FROM idempotency WHERE key = ?")
        try statement.bind([.text(key.key)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        guard statement.bytes(0) == key.requestHash else {
            throw KuraError(.idempotencyConflict, "Idempotency-Key '\(key.key)' was already used for another request")
        }
        return statement.bytes(1)
    }

    /// Records the answer to this key, in the same transaction as the command's events.
    public func recordResponse(_ response: [UInt8], for key: IdempotencyKey) throws(KuraError) {
        try db.run(
            "INSERT INTO idempotency(key, request_hash, response, seq) VALUES (?, ?, ?, ?)",
            .text(key.key), .blob(key.requestHash), .blob(response), .integer(Int64(head.seq)))
    }
}
