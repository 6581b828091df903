import KuraCore
import KuraCrypto
import KuraStore

/// The receipts and their RFC 6962 Merkle tree, persisted in the same transaction as the events:
/// each receipt's leaf and every newly completed subtree hash are written as the receipt is appended,
/// so roots and proofs cost O(log n) reads and never load all leaves.
///
/// The appender's frontier is cached in memory and re-read from the file (log n hashes) whenever the
/// file's size differs from it: after another process appended, or after a rolled-back command.
final class ReceiptLog: @unchecked Sendable {
    private var appender = MerkleAppender()
    private let lock = NSLockLike()
    /// Folds each receipt into Meishi reputation, in the same transaction.
    let reputation: ReputationProjection

    init(reputation model: ReputationModel = .standard) { reputation = ReputationProjection(model: model) }

    static let schema = """
        CREATE TABLE IF NOT EXISTS receipts(
            idx INTEGER PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
            payer TEXT NOT NULL, payee TEXT NOT NULL, json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS receipts_by_payer ON receipts(payer, idx);
        CREATE INDEX IF NOT EXISTS receipts_by_payee ON receipts(payee, idx);
        CREATE INDEX IF NOT EXISTS receipts_by_kind ON receipts(kind, idx);
        CREATE INDEX IF NOT EXISTS receipts_by_payer_kind ON receipts(payer, kind, idx);
        CREATE INDEX IF NOT EXISTS receipts_by_payee_kind ON receipts(payee, kind, idx);
        CREATE TABLE IF NOT EXISTS merkle_nodes(
            level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS checkpoints(
            size INTEGER NOT NULL, key_name TEXT NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL,
            PRIMARY KEY(size, key_name));
        """

    /// The number of receipts in the file.
    static func size(_ db: SQLiteConnection) throws(KuraError) -> UInt64 {
        guard let last = try db.scalar("SELECT idx FROM receipts ORDER BY idx DESC LIMIT 1")?.int64 else { return 0 }
        return UInt64(last) + 1
    }

    /// Appends the receipt of an escrow event (its index is the current size) and its tree nodes.
    func append(
        _ event: EscrowEvent, escrowBefore: Escrow?, envelope: Event, _ db: SQLiteConnection
    ) throws(KuraError) {
        try append(envelope: envelope, db) { index in
            Receipt.derive(
                event, escrowBefore: escrowBefore, eventSeq: envelope.seq, eventHash: envelope.hash, at: envelope.at,
                index: index)
        }
    }

    /// Appends the receipt that `make` derives for leaf `index` (the current size), and its tree nodes.
    /// Any aggregate's projection calls this with its own derivation; nil appends nothing.
    func append(envelope: Event, _ db: SQLiteConnection, _ make: (UInt64) throws(KuraError) -> Receipt?)
        throws(KuraError)
    {
        try lock.withLock { () throws(KuraError) in
            let size = try Self.size(db)
            var cacheIsCurrent = appender.size == size
            if cacheIsCurrent { cacheIsCurrent = try cacheMatches(db) }
            if !cacheIsCurrent {
                do { appender = try MerkleAppender(size: size, nodes: SQLiteMerkleNodes(db: db)) } catch {
                    throw KuraError(.storageFailure, "cannot resume the Merkle tree at size \(size): \(error)")
                }
            }
            guard let receipt = try make(size) else { return }
            let leaf = try receipt.leafBytes()
            try db.run(
                "INSERT INTO receipts(idx, seq, kind, subject, payer, payee, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                .integer(Int64(size)), .integer(Int64(envelope.seq)), .text(receipt.kind), .text(receipt.subject),
                .text(receipt.payer.rawValue), .text(receipt.payee.rawValue),
                .text(String(decoding: leaf, as: UTF8.self)))
            for node in appender.append(leafHash: MerkleHash.leaf(leaf)) {
                try db.run(
                    "INSERT INTO merkle_nodes(level, idx, hash) VALUES (?, ?, ?)", .integer(Int64(node.level)),
                    .integer(Int64(node.index)), .blob(node.hash))
            }
            try reputation.apply(receipt, root: appender.root, db)
        }
    }

    /// Whether the cached frontier's newest node is the one in the file: a cache left by a rolled-back
    /// batch can have the file's size (if another process then appended as many) but not its hashes.
    private func cacheMatches(_ db: SQLiteConnection) throws(KuraError) -> Bool {
        guard let newest = appender.frontier.last else { return true }
        let stored = try db.scalar(
            "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", .integer(Int64(newest.level)),
            .integer(Int64(newest.index)))?.blob
        return stored == newest.hash
    }

    /// Forgets the cached frontier (before a rebuild).
    func invalidate() {
        lock.withLock { appender = MerkleAppender() }
    }
}

/// Complete-subtree hashes read from the `merkle_nodes` table.
struct SQLiteMerkleNodes: MerkleNodeSource {
    let db: SQLiteConnection

    func hash(level: Int, index: UInt64) throws -> [UInt8] {
        guard
            let hash = try db.scalar(
                "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", .integer(Int64(level)),
                .integer(Int64(index))
            )?.blob
        else { throw KuraError(.storageFailure, "Merkle node (\(level), \(index)) is missing") }
        return hash
    }
}

/// Only the receipt log, as a projector of its own: for benchmarks that measure what receipts and tree
/// updates add to an append. It reads each escrow's state from its stream, so it needs no other table.
public struct ReceiptProjector: Projector {
    let log = ReceiptLog()

    /// Creates the projector.
    public init() {}

    public func createSchema(_ db: SQLiteConnection) throws(KuraError) {
        try db.execute(ReceiptLog.schema)
        try log.reputation.prepare(db)
    }

    public func reset(_ db: SQLiteConnection) throws(KuraError) {
        try db.execute("DELETE FROM receipts; DELETE FROM merkle_nodes;")
        try log.reputation.reset(db)
        log.invalidate()
    }

    public func apply(_ event: Event, decoded: (any DomainEvent)?, _ db: SQLiteConnection) throws(KuraError) {
        guard event.type.hasPrefix("escrow.") else { return }
        let typed = try typedEvent(decoded, event, EscrowEvent.init)
        var before: Escrow?
        if event.version > 1 {
            let history = try SQLiteEventStore.events(inStream: event.stream, db).dropLast().map {
                e throws(KuraError) in
                try EscrowEvent(type: e.type, payload: e.payload)
            }
            before = Escrow.fold(history)
        }
        try log.append(typed, escrowBefore: before, envelope: event, db)
    }
}
