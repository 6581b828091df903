import KuraCore
import KuraCrypto
import KuraStore

/// Moves a Kura database to another backend (`kura db copy --from ./kura.sqlite --to postgres://…`): the log,
/// the idempotency records, the nonces and the signed checkpoints are copied as they are; the read models are
/// rebuilt on the target by replaying the log (the caller's `rebuild`, the service's replay); then the two
/// are compared.
///
/// Refuses a target that already holds events, and a source whose chain does not verify (before writing
/// anything). Every event is checked against its hash again as it is read, and the target's guards refuse one
/// that does not continue the chain; the copy is accepted only if the target's chain verifies, its head equals
/// the source's, the receipt trees have the same size and root, every balance row is the same, and the
/// projection digests (every read-model row) are equal.
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
        /// The receipt tree's size and root on both.
        public var receipts: UInt64
        public var root: [UInt8]
        /// Balance rows compared (every account and asset).
        public var balances: Int
    }

    /// What is compared after the copy, read in one snapshot of each database.
    struct Summary: Equatable {
        var head: LogHead
        var digest: String
        var receipts: UInt64
        var root: [UInt8]
        var balances: [BalanceRow]

        static func read(_ backend: any StorageBackend) async throws(KuraError) -> Summary {
            try await backend.read(.standard) { reads throws(KuraError) in
                let size = try reads.receiptCount()
                let root: [UInt8]
                do { root = try MerkleTree(nodes: reads.merkleNodes).root(size: size) } catch {
                    throw KuraError(.chainBroken, "the receipt tree of size \(size) has no root: \(error)")
                }
                return Summary(
                    head: try reads.head(), digest: try reads.projectionDigest(), receipts: size, root: root,
                    balances: try reads.allBalances())
            }
        }
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
        // Records without a log are left over from something else: refused before any event is written, or the
        // copy would stop at their first clash with the log already written (a target neither empty nor whole).
        let leftovers = try await target.read(.standard) { reads throws(KuraError) in try reads.sideTableCounts() }
        guard leftovers.isEmpty else {
            throw KuraError(
                .invalidTransition,
                "the target holds \(leftovers.idempotencyRecords) idempotency records, \(leftovers.nonces) nonces and"
                    + " \(leftovers.checkpoints) checkpoints without a log; copy only into an empty database")
        }
        // The source's whole chain is checked before anything is written: a copy refused halfway would leave the
        // target neither empty nor whole, and refusing the next attempt as not empty.
        let sourceChain = try await source.read(.standard) { reads throws(KuraError) in try reads.verifyChain() }
        if let failure = sourceChain.failure {
            throw KuraError(
                .chainBroken, "the source's chain breaks at \(failure.seq): \(failure.reason); nothing was copied")
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
        let side = try await source.read(.standard) { reads throws(KuraError) in try reads.sideTables() }
        var changes: [RowChange] = side.idempotency.map { .idempotency($0) }
        changes += side.nonces.map { .nonce($0) }
        changes += side.checkpoints.map { .checkpoint($0) }
        for start in stride(from: 0, to: changes.count, by: chunk) {
            try write(
                session, expecting: head, BatchWrite(changes: Array(changes[start..<min(start + chunk, changes.count)]))
            )
        }
        try await rebuild(target)

        let chain = try await target.read(.standard) { reads throws(KuraError) in try reads.verifyChain() }
        if let failure = chain.failure {
            throw KuraError(.chainBroken, "the copy's chain breaks at \(failure.seq): \(failure.reason)")
        }
        let before = try await Summary.read(source)
        let after = try await Summary.read(target)
        guard chain.head == before.head, before.head == head, after.head == head else {
            throw KuraError(
                .verificationFailed, "the copy's head (\(chain.head.seq)) is not the source's (\(before.head.seq))")
        }
        guard after.receipts == before.receipts, after.root == before.root else {
            throw KuraError(
                .verificationFailed,
                "the copy's receipt tree (\(after.receipts) receipts) is not the source's (\(before.receipts))")
        }
        guard after.balances == before.balances else {
            let differing = Set(after.balances).symmetricDifference(before.balances).map(\.account).sorted()
            throw KuraError(
                .verificationFailed,
                "the rebuilt balances differ from the source's: \(differing.prefix(5).joined(separator: ", "))")
        }
        guard after.digest == before.digest else {
            throw KuraError(
                .verificationFailed,
                "the rebuilt read models differ from the source's (digest \(after.digest) ≠ \(before.digest))")
        }
        return Report(
            head: head, events: head.seq, idempotencyRecords: side.idempotency.count, nonces: side.nonces.count,
            checkpoints: side.checkpoints.count, digest: after.digest, receipts: after.receipts, root: after.root,
            balances: after.balances.count)
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
}
