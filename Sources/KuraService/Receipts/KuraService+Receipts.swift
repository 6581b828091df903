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

extension KuraService {
    /// The verifier key for Kura's checkpoints: `<name>+<hex key id>+<base64(0x01 || key)>`.
    public var verifierKey: String { signer.verifier.text }

    /// The number of receipts.
    public func receiptCount() async throws(KuraError) -> UInt64 {
        try await read(.public) { reads throws(KuraError) in try reads.receiptCount() }
    }

    /// One receipt by leaf index.
    public func receipt(_ index: UInt64) async throws(KuraError) -> Receipt {
        guard let row = try await read(.public, { reads throws(KuraError) in try reads.receipt(index) }) else {
            throw KuraError(.notFound, "no receipt \(index)")
        }
        return try Self.decodeReceipt(row)
    }

    static func decodeReceipt(_ row: ReceiptRow) throws(KuraError) -> Receipt {
        do { return try RowJSON.decode(Receipt.self, row.json) } catch {
            throw KuraError(.internalError, "stored Receipt does not decode: \(error.detail)")
        }
    }

    /// Receipts in index order, optionally of one party (as payer or payee) and one kind. Public.
    public func receipts(party: PartyID?, kind: String?, cursor: String?, limit: Int) async throws(KuraError)
        -> Page<Receipt>
    {
        guard (1...1000).contains(limit) else { throw KuraError(.invalidRequest, "limit must be 1-1000") }
        var after: Int64 = -1
        if let cursor {
            guard let value = Int64(cursor), value >= 0 else { throw KuraError(.invalidRequest, "invalid cursor") }
            after = value
        }
        let start = after
        let rows = try await read(.public) { reads throws(KuraError) in
            try reads.receipts(after: start, party: party, kind: kind, limit: limit + 1)
        }
        let next = rows.count > limit ? String(rows[limit - 1].index) : nil
        return Page(items: try rows.prefix(limit).map(Self.decodeReceipt), nextCursor: next)
    }

    /// The checkpoint at exactly `size` (default: the current size), signing and keeping it if it is new.
    /// A checkpoint has no timestamp, so the one for a given size is always the same bytes for one key.
    ///
    /// The root is read and the note signed outside the writer (nodes never change once written); the writer
    /// only stores the note, unless one for that size and key is already there.
    public func checkpoint(size requested: UInt64? = nil) async throws(KuraError) -> CheckpointRecord {
        let signer = self.signer
        let found: (CheckpointRow?, UInt64, UInt64, [UInt8]) = try await read { reads throws(KuraError) in
            let current = try reads.receiptCount()
            let size = requested ?? current
            guard size <= current else { throw KuraError(.notFound, "the log has \(current) receipts, not \(size)") }
            if let stored = try reads.checkpoint(size: size, keyName: signer.name) {
                return (stored, size, current, [])
            }
            do { return (nil, size, current, try MerkleTree(nodes: reads.merkleNodes).root(size: size)) } catch {
                throw KuraError(.storageFailure, "cannot compute the root at \(size): \(error)")
            }
        }
        if let stored = found.0 {
            return CheckpointRecord(
                size: stored.size, rootHash: Base64.encode(stored.root), keyName: stored.keyName, note: stored.note)
        }
        let (size, root) = (found.1, found.3)
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(origin: signer.name, size: size, rootHash: root) } catch {
            throw KuraError(.internalError, "\(error)")
        }
        let note = checkpoint.signed(by: signer)
        let row = CheckpointRow(size: size, keyName: signer.name, root: root, note: note)
        _ = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Bool in
            // Another caller may have stored this size first: the same bytes, since signing is deterministic.
            tx.change(.checkpoint(row))
            return true
        }
        return CheckpointRecord(size: size, rootHash: Base64.encode(root), keyName: signer.name, note: note)
    }

    /// The newest checkpoint already issued with the current key, if any (no signing). Checkpoints of
    /// earlier keys are kept beside them, so old notes still verify with old verifier keys.
    public func latestCheckpoint() async throws(KuraError) -> CheckpointRecord? {
        let name = signer.name
        return try await read(.public) { reads throws(KuraError) in
            try reads.latestCheckpoint(keyName: name).map {
                CheckpointRecord(size: $0.size, rootHash: Base64.encode($0.root), keyName: $0.keyName, note: $0.note)
            }
        }
    }

    /// Issues a checkpoint if the tree grew since the newest one. The server calls this on an interval.
    @discardableResult
    public func checkpointIfGrown() async throws(KuraError) -> CheckpointRecord? {
        let size = try await receiptCount()
        if let latest = try await latestCheckpoint(), latest.size >= size { return nil }
        return try await checkpoint()
    }

    /// The offline-verifiable bundle of DESIGN section 6 for receipt `index`, against the checkpoint at
    /// `size` (default: the current size), signing and keeping that checkpoint if it is new. For the operator's
    /// tools (`kura receipts bundle --db`); the public route serves ``bundle(_:at:)`` of an issued checkpoint.
    public func bundle(_ index: UInt64, size requested: UInt64? = nil) async throws(KuraError) -> JSONValue {
        try await bundle(index, at: try await checkpoint(size: requested))
    }

    // MARK: The public read path: issued checkpoints only, never a write

    /// The checkpoint of exactly `size` already issued with the current key, if any. Reads only: the public
    /// routes serve issued checkpoints (the checkpointer's, or the operator's) and never sign or store one, so
    /// an unauthenticated caller can neither make Kura write nor make it sign on demand.
    public func issuedCheckpoint(size: UInt64) async throws(KuraError) -> CheckpointRecord? {
        guard size <= UInt64(Int64.max) else { return nil }
        let keyName = signer.name
        return try await read(.public) { reads throws(KuraError) in
            try reads.checkpoint(size: size, keyName: keyName).map { row in
                CheckpointRecord(
                    size: row.size, rootHash: Base64.encode(row.root), keyName: row.keyName, note: row.note)
            }
        }
    }

    /// The bundle for receipt `index` against a checkpoint already issued (reads only).
    public func bundle(_ index: UInt64, at checkpoint: CheckpointRecord) async throws(KuraError) -> JSONValue {
        guard index < checkpoint.size else {
            throw KuraError(.notFound, "receipt \(index) is not in the tree of size \(checkpoint.size)")
        }
        let receipt = try await receipt(index)
        let size = checkpoint.size
        let proof: [[UInt8]] = try await read(.public) { reads throws(KuraError) in
            do {
                return try MerkleTree(nodes: reads.merkleNodes).inclusionProof(index: index, size: size)
            } catch {
                throw KuraError(.storageFailure, "cannot build the inclusion proof: \(error)")
            }
        }
        return ReceiptBundle.make(
            receipt: try .of(receipt), leafIndex: index, treeSize: checkpoint.size, proof: proof,
            checkpointNote: checkpoint.note)
    }

    /// A consistency proof from tree size `from` to `to` (0 < from ≤ to ≤ size).
    public func consistency(from: UInt64, to: UInt64) async throws(KuraError) -> ConsistencyProof {
        try await read(.public) { reads throws(KuraError) in
            let size = try reads.receiptCount()
            guard from >= 1, from <= to, to <= size else {
                throw KuraError(.invalidRequest, "need 1 ≤ from ≤ to ≤ \(size), got from=\(from) to=\(to)")
            }
            do {
                let hashes = try MerkleTree(nodes: reads.merkleNodes).consistencyProof(from: from, to: to)
                return ConsistencyProof(from: from, to: to, hashes: hashes.map { Base64.encode($0) })
            } catch {
                throw KuraError(.storageFailure, "cannot build the consistency proof: \(error)")
            }
        }
    }
}
