import KuraCore
import KuraCrypto

/// The tables of the log itself. Projections add their own.
enum Schema {
    static let sql = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS events(
            seq INTEGER PRIMARY KEY,
            stream TEXT NOT NULL,
            version INTEGER NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            command_id TEXT NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL,
            UNIQUE(stream, version));
        CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TABLE IF NOT EXISTS idempotency(
            key TEXT PRIMARY KEY,
            request_hash BLOB NOT NULL,
            response BLOB NOT NULL,
            seq INTEGER NOT NULL);
        """

    static let eventColumns = "seq, stream, version, type, payload, at, actor, command_id, prev_hash, hash"

    /// Reads an event row and checks that its stored hash is the one its fields give.
    static func event(_ row: SQLiteStatement) throws(KuraError) -> Event {
        let seq = UInt64(row.int64(0))
        let payload: JSONValue
        do { payload = try JSONValue.parse(row.bytes(4)) } catch {
            throw KuraError(.chainBroken, "event \(seq): stored payload is not JSON (\(error.reason))")
        }
        let event = try Event(
            seq: seq, stream: row.text(1), version: UInt64(row.int64(2)), type: row.text(3), payload: payload,
            at: Timestamp(milliseconds: row.int64(5)), actor: row.text(6), commandId: row.text(7),
            prevHash: row.bytes(8))
        guard event.hash == row.bytes(9) else {
            throw KuraError(.chainBroken, "event \(seq): stored hash does not match its contents")
        }
        return event
    }
}
