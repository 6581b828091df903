import KuraCore
import KuraCrypto
import KuraStore

/// A signed checkpoint of the receipt log.
public struct CheckpointRecord: Sendable, Equatable, Codable {
    /// The tree size it commits to.
    public var size: UInt64
    /// The root hash, base64 as in the note.
    public var rootHash: String
    /// The name of the key that signed it.
    public var keyName: String
    /// The C2SP signed note, newline-terminated.
    public var note: String
}

/// A consistency proof between two tree sizes, hashes in base64.
public struct ConsistencyProof: Sendable, Equatable, Codable {
    public var from: UInt64
    public var to: UInt64
    public var hashes: [String]
}

extension KuraError.Code {
    /// No checkpoint issued yet covers what a public read asks for; the checkpointer issues the next one
    /// within its interval (HTTP 503 with `Retry-After`).
    public static let checkpointPending = KuraError.Code(rawValue: "checkpoint_pending")
}

extension KuraService {
    /// The verifier key for Kura's checkpoints: `<name>+<hex key id>+<base64(0x01 || key)>`.
    public var verifierKey: String { signer.verifier.text }

    /// The number of receipts.
    public func receiptCount() throws(KuraError) -> UInt64 {
        try read { db throws(KuraError) in try ReceiptLog.size(db) }
    }

    /// One receipt by leaf index.
    public func receipt(_ index: UInt64) throws(KuraError) -> Receipt {
        guard index <= UInt64(Int64.max),
            let json = try read({ db throws(KuraError) in
                try db.scalar("SELECT json FROM receipts WHERE idx = ?", .integer(Int64(index)))?.text
            })
        else { throw KuraError(.notFound, "no receipt \(index)") }
        return try Queries.decode(Receipt.self, json)
    }

    /// Receipts in index order, optionally of one party (as payer or payee) and one kind. Public.
    public func receipts(party: PartyID?, kind: String?, cursor: String?, limit: Int) throws(KuraError) -> Page<Receipt>
    {
        guard (1...1000).contains(limit) else { throw KuraError(.invalidRequest, "limit must be 1-1000") }
        var after: Int64 = -1
        if let cursor {
            guard let value = Int64(cursor), value >= 0 else { throw KuraError(.invalidRequest, "invalid cursor") }
            after = value
        }
        return try read { db throws(KuraError) in
            var bindings: [SQLiteValue] = [.integer(after)]
            if let party { bindings.append(.text(party.rawValue)) }
            if let kind { bindings.append(.text(kind)) }
            bindings.append(.integer(Int64(limit + 1)))
            let statement = try db.statement(Self.receiptPageSQL(party: party != nil, kind: kind != nil))
            try statement.bind(bindings)
            let rows = try statement.rows { row throws(KuraError) in
                (row.int64(0), try Queries.decode(Receipt.self, row.text(1)))
            }
            let next = rows.count > limit ? String(rows[limit - 1].0) : nil
            return Page(items: rows.prefix(limit).map(\.1), nextCursor: next)
        }
    }

    /// The query behind one page of ``receipts(party:kind:cursor:limit:)``, with `?1` the cursor, then the
    /// party and the kind when they are filtered on, then the page size plus one. Every shape reads at most
    /// that many index entries per index it uses (no scan of the table, no sort of a party's whole history),
    /// because the list is public: `receipts_by_kind`, `receipts_by_payer(_kind)` and `receipts_by_payee(_kind)`
    /// each deliver rows in `idx` order. A party's page is the union of its payer and payee pages, each cut at
    /// the limit. The page size is a parameter, not part of the text: each connection caches one statement per
    /// text, and a caller must not be able to make thousands.
    static func receiptPageSQL(party: Bool, kind: Bool) -> String {
        let kindTerm = kind ? " AND kind = ?\(party ? 3 : 2)" : ""
        let limit = "?\(1 + (party ? 1 : 0) + (kind ? 1 : 0) + 1)"
        guard party else {
            return "SELECT idx, json FROM receipts WHERE idx > ?1\(kindTerm) ORDER BY idx LIMIT \(limit)"
        }
        let side = { (column: String) in
            "SELECT idx FROM (SELECT idx FROM receipts WHERE \(column) = ?2\(kindTerm) AND idx > ?1 ORDER BY idx LIMIT \(limit))"
        }
        return """
            SELECT r.idx, r.json FROM (\(side("payer")) UNION \(side("payee"))) AS page \
            JOIN receipts AS r ON r.idx = page.idx ORDER BY r.idx LIMIT \(limit)
            """
    }

    /// The checkpoint at exactly `size` (default: the current size), signing and keeping it if it is new.
    /// A checkpoint has no timestamp, so the one for a given size is always the same bytes for one key.
    public func checkpoint(size requested: UInt64? = nil) async throws(KuraError) -> CheckpointRecord {
        let signer = self.signer
        return try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> CheckpointRecord in
            let current = try ReceiptLog.size(tx.db)
            let size = requested ?? current
            guard size <= current else { throw KuraError(.notFound, "the log has \(current) receipts, not \(size)") }
            let statement = try tx.db.statement(
                "SELECT root, key_name, note FROM checkpoints WHERE size = ? AND key_name = ?")
            try statement.bind([.integer(Int64(size)), .text(signer.name)])
            let stored = try statement.rows { row throws(KuraError) in (row.bytes(0), row.text(1), row.text(2)) }.first
            if let stored {
                return CheckpointRecord(
                    size: size, rootHash: Base64.encode(stored.0), keyName: stored.1, note: stored.2)
            }
            let root: [UInt8]
            do { root = try MerkleTree(nodes: SQLiteMerkleNodes(db: tx.db)).root(size: size) } catch {
                throw KuraError(.storageFailure, "cannot compute the root at \(size): \(error)")
            }
            let checkpoint: Checkpoint
            do { checkpoint = try Checkpoint(origin: signer.name, size: size, rootHash: root) } catch {
                throw KuraError(.internalError, "\(error)")
            }
            let note = checkpoint.signed(by: signer)
            try tx.db.run(
                "INSERT INTO checkpoints(size, root, key_name, note) VALUES (?, ?, ?, ?)", .integer(Int64(size)),
                .blob(root), .text(signer.name), .text(note))
            return CheckpointRecord(size: size, rootHash: Base64.encode(root), keyName: signer.name, note: note)
        }
    }

    /// The newest checkpoint already issued with the current key, if any (no signing). Checkpoints of
    /// earlier keys are kept beside them, so old notes still verify with old verifier keys.
    public func latestCheckpoint() throws(KuraError) -> CheckpointRecord? {
        try read { db throws(KuraError) in
            let statement = try db.statement(
                "SELECT size, root, key_name, note FROM checkpoints WHERE key_name = ? ORDER BY size DESC LIMIT 1")
            try statement.bind([.text(signer.name)])
            return try statement.rows { row throws(KuraError) in
                CheckpointRecord(
                    size: UInt64(row.int64(0)), rootHash: Base64.encode(row.bytes(1)), keyName: row.text(2),
                    note: row.text(3))
            }.first
        }
    }

    /// Issues a checkpoint if the tree grew since the newest one. The server calls this on an interval.
    @discardableResult
    public func checkpointIfGrown() async throws(KuraError) -> CheckpointRecord? {
        let size = try receiptCount()
        if let latest = try latestCheckpoint(), latest.size >= size { return nil }
        return try await checkpoint()
    }

    /// The offline-verifiable bundle of DESIGN section 6 for receipt `index`, against the checkpoint at
    /// `size` (default: the current size), signing and keeping that checkpoint if it is new. For the operator's
    /// tools (`kura receipts bundle --db`); the public route serves ``bundle(_:at:)`` of an issued checkpoint.
    public func bundle(_ index: UInt64, size requested: UInt64? = nil) async throws(KuraError) -> JSONValue {
        try bundle(index, at: try await checkpoint(size: requested))
    }

    // MARK: The public read path: issued checkpoints only, never a write

    /// The checkpoint of exactly `size` already issued with the current key, if any. Reads only: the public
    /// routes serve issued checkpoints (the checkpointer's, or the operator's) and never sign or store one, so
    /// an unauthenticated caller can neither make Kura write nor make it sign on demand.
    public func issuedCheckpoint(size: UInt64) throws(KuraError) -> CheckpointRecord? {
        guard size <= UInt64(Int64.max) else { return nil }
        return try read { db throws(KuraError) in
            let statement = try db.statement(
                "SELECT size, root, key_name, note FROM checkpoints WHERE size = ? AND key_name = ?")
            try statement.bind([.integer(Int64(size)), .text(signer.name)])
            return try statement.rows { row throws(KuraError) in
                CheckpointRecord(
                    size: UInt64(row.int64(0)), rootHash: Base64.encode(row.bytes(1)), keyName: row.text(2),
                    note: row.text(3))
            }.first
        }
    }

    /// The bundle for receipt `index` against a checkpoint already issued (reads only).
    public func bundle(_ index: UInt64, at checkpoint: CheckpointRecord) throws(KuraError) -> JSONValue {
        guard index < checkpoint.size else {
            throw KuraError(.notFound, "receipt \(index) is not in the tree of size \(checkpoint.size)")
        }
        let receipt = try receipt(index)
        let proof: [[UInt8]] = try read { db throws(KuraError) in
            do {
                return try MerkleTree(nodes: SQLiteMerkleNodes(db: db)).inclusionProof(
                    index: index, size: checkpoint.size)
            } catch {
                throw KuraError(.storageFailure, "cannot build the inclusion proof: \(error)")
            }
        }
        return ReceiptBundle.make(
            receipt: try .of(receipt), leafIndex: index, treeSize: checkpoint.size, proof: proof,
            checkpointNote: checkpoint.note)
    }

    /// A consistency proof from tree size `from` to `to` (0 < from ≤ to ≤ size).
    public func consistency(from: UInt64, to: UInt64) throws(KuraError) -> ConsistencyProof {
        try read { db throws(KuraError) in
            let size = try ReceiptLog.size(db)
            guard from >= 1, from <= to, to <= size else {
                throw KuraError(.invalidRequest, "need 1 ≤ from ≤ to ≤ \(size), got from=\(from) to=\(to)")
            }
            do {
                let hashes = try MerkleTree(nodes: SQLiteMerkleNodes(db: db)).consistencyProof(from: from, to: to)
                return ConsistencyProof(from: from, to: to, hashes: hashes.map { Base64.encode($0) })
            } catch {
                throw KuraError(.storageFailure, "cannot build the consistency proof: \(error)")
            }
        }
    }
}
