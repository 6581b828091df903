import KuraCore
import KuraCrypto

/// Re-walks the log from seq 1: gapless numbering, per-stream versions, each `prevHash` equal to the
/// previous hash, and each hash recomputed from the stored fields. Streams rows; memory stays flat
/// but for one integer per stream.
enum ChainVerifier {
    /// `progress`, if given, hears the count of events checked every 4,096 events.
    static func verify(_ db: SQLiteConnection, progress: ((UInt64) -> Void)? = nil) throws(KuraError) -> ChainReport {
        let statement = try db.statement("SELECT \(Schema.eventColumns) FROM events ORDER BY seq")
        var head = LogHead.empty
        var versions: [String: UInt64] = [:]
        var count: UInt64 = 0
        func fail(_ seq: UInt64, _ reason: String) -> ChainReport {
            statement.reset()
            return ChainReport(count: count, head: head, failure: (seq, reason))
        }
        while try statement.step() {
            let seq = UInt64(statement.int64(0))
            guard seq == head.seq + 1 else { return fail(head.seq + 1, "missing: the next stored seq is \(seq)") }
            let stream = statement.text(1)
            let version = UInt64(statement.int64(2))
            let expectedVersion = (versions[stream] ?? 0) + 1
            guard version == expectedVersion else {
                return fail(seq, "stream \(stream) version \(version), expected \(expectedVersion)")
            }
            // The hash covers the payload's stored bytes, so any change to them is caught below without
            // re-parsing: the writer only ever stores canonical text.
            let payload = statement.bytes(4)
            let prevHash = statement.bytes(8)
            guard prevHash == head.hash else { return fail(seq, "prevHash does not match the previous event's hash") }
            let body = Event.canonicalBody(
                seq: seq, stream: stream, version: version, type: statement.text(3), canonicalPayload: payload,
                at: Timestamp(milliseconds: statement.int64(5)), actor: statement.text(6),
                commandId: statement.text(7), prevHash: prevHash)
            let hash = SHA256.hash(body)
            guard hash == statement.bytes(9) else { return fail(seq, "hash does not match the event's contents") }
            versions[stream] = version
            head = LogHead(seq: seq, hash: hash)
            count += 1
            if let progress, count & 4095 == 0 { progress(count) }
        }
        return ChainReport(count: count, head: head, failure: nil)
    }
}
