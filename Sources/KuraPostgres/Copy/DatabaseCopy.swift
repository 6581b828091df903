import KuraCore
import KuraCrypto
import KuraStore

/// Moves a Kura database to another backend (`kura db copy --from ./kura.sqlite --to postgres://…`): the log,
/// the idempotency records, the nonces and the signed checkpoints are copied as they are; the read models are
/// rebuilt on the target by replaying the log (the caller's `rebuild`, the service's replay); then the two
/// are compared.
///
/// Refuses a target that already holds events. Every event is checked against its hash as it is read, and
/// the target's guards refuse one that does not continue the chain; the copy is accepted only if the target's
/// chain verifies, its head equals the source's and the projection digests (every read-model row: balances,
/// receipts, the Merkle tree and so its roots, …) are equal.
public enum DatabaseCopy {
    /// What was copied and checked.
    public struct Report: Sendable, Equatable {
        /// The head of both logs.
        public var head: LogHead
        /// Events copied.
        public var events: UInt64
        /// Idempotency records, nonces and checkpoints copied.
        public var idempotencyRecords: Int
        public var nonces: Int
        public var checkpoints: Int
        /// The projection digest both databases have.
        public var digest: String
    }

    /// Copies `source` into the empty `target`; `rebuild` replays the target's log into its read models.
    public static func copy(
        from source: any StorageBackend, to target: any StorageBackend, chunk: Int = 1000,
        rebuild: (any StorageBackend) async throws(KuraError) -> Void
    ) async throws(KuraError) -> Report {
        let session = try target.makeWriterSession()
        defer { session.close() }
        let start = try session.begin()
        session.rollback()
        guard start == .empty else {
            throw KuraError(
                .invalidTransition, "the target already holds \(start.seq) events; copy only into an empty database")
        }
        var head = LogHead.empty
        while true {
            let after = head.seq
            let events = try await source.read(.standard) { reads throws(KuraError) in
                try reads.events(after: after, limit: chunk)
            }
            if events.isEmpty { break }
            var stored: [StoredEvent] = []
            stored.reserveCapacity(events.count)
            for event in events {
                let bytes: [UInt8]
                do { bytes = try event.payload.canonicalBytes() } catch {
                    throw KuraError(.chainBroken, "event \(event.seq): payload is not canonical JSON")
                }
                stored.append(StoredEvent(event: event, canonicalPayload: bytes))
            }
            try write(session, expecting: head, BatchWrite(events: stored))
            head = LogHead(seq: events.last!.seq, hash: events.last!.hash)
        }
        let side = try await source.read(.standard) { reads throws(KuraError) in try Self.sideTables(reads) }
        var changes: [RowChange] = side.idempotency.map { .idempotency($0) }
        changes += side.nonces.map { .nonce($0) }
        changes += side.checkpoints.map { .checkpoint($0) }
        for start in stride(from: 0, to: changes.count, by: chunk) {
            try write(
                session, expecting: head, BatchWrite(changes: Array(changes[start..<min(start + chunk, changes.count)]))
            )
        }
        try await rebuild(target)

        let (sourceHead, sourceDigest) = try await source.read(.standard) { reads throws(KuraError) in
            (try reads.head(), try reads.projectionDigest())
        }
        let (report, targetDigest) = try await target.read(.standard) { reads throws(KuraError) in
            (try reads.verifyChain(), try reads.projectionDigest())
        }
        if let failure = report.failure {
            throw KuraError(.chainBroken, "the copy's chain breaks at \(failure.seq): \(failure.reason)")
        }
        guard report.head == sourceHead, sourceHead == head else {
            throw KuraError(
                .verificationFailed, "the copy's head (\(report.head.seq)) is not the source's (\(sourceHead.seq))")
        }
        guard sourceDigest == targetDigest else {
            throw KuraError(
                .verificationFailed,
                "the rebuilt read models differ from the source's (digest \(targetDigest) ≠ \(sourceDigest))")
        }
        return Report(
            head: head, events: head.seq, idempotencyRecords: side.idempotency.count, nonces: side.nonces.count,
            checkpoints: side.checkpoints.count, digest: targetDigest)
    }

    /// One transaction on the target, which must still be at `head` (no one else writes to it meanwhile).
    private static func write(_ session: any WriterSession, expecting head: LogHead, _ batch: BatchWrite)
        throws(KuraError)
    {
        let found = try session.begin()
        do throws(KuraError) {
            guard found == head else {
                throw KuraError(
                    .versionConflict, "something else wrote to the target during the copy (at \(found.seq))")
            }
            try session.write(batch)
            try session.commit()
        } catch {
            session.rollback()
            throw error
        }
    }

    /// The tables that are not rebuilt from the log: read with the shared SQL text, on either backend.
    private static func sideTables(_ reads: any ReadSession) throws(KuraError)
        -> (idempotency: [IdempotencyRecord], nonces: [NonceRow], checkpoints: [CheckpointRow])
    {
        guard let connection = (reads as? SQLReadSession)?.connection else {
            throw KuraError(.internalError, "the source's reads are not the shared SQL layer's")
        }
        let idempotency = try connection.rows("SELECT key, request_hash, response, seq FROM idempotency ORDER BY key") {
            row throws(KuraError) in
            IdempotencyRecord(
                key: row.text(0), requestHash: row.bytes(1), response: row.bytes(2), seq: UInt64(row.int64(3)))
        }
        let nonces = try connection.rows("SELECT party, nonce, at FROM nonces ORDER BY party, nonce") {
            row throws(KuraError) in
            NonceRow(party: PartyID(unchecked: row.text(0)), nonce: row.text(1), at: row.int64(2))
        }
        let checkpoints = try connection.rows(
            "SELECT size, key_name, root, note FROM checkpoints ORDER BY size, key_name"
        ) {
            row throws(KuraError) in
            CheckpointRow(size: UInt64(row.int64(0)), keyName: row.text(1), root: row.bytes(2), note: row.text(3))
        }
        return (idempotency, nonces, checkpoints)
    }
}
