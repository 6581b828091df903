import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// The most parties one batch read names.
    public static let maxReputationBatch = ReputationBatchQuery.maxParties

    static let reputationModels = RowDecodeCache<ReputationModel>(capacity: 16)

    /// A party's reputation at the current tree size, or at the first `asOf` receipts. Public, read-only:
    /// at the current size one row is read; `asOf` folds the party's receipts of that prefix again.
    public func reputation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraError) -> ReputationReport {
        try await reputations(of: [party], asOf: asOf)[0]
    }

    /// ``reputation(of:asOf:)`` at the current tree size as canonical JSON bytes, from a cache keyed by the
    /// party, the tree (size and root) and the model: a report is a pure function of those, so a hit costs
    /// one small row read and no fold, decode or encoding.
    public func reputationBytes(of party: PartyID) async throws(KuraError) -> [UInt8] {
        let current = try await read(.public) { reads throws(KuraError) in
            try reads.reputationLog().map { "\($0.size)/\(Base64.encode($0.root))/\($0.model)" }
        }
        let tree = current ?? "0"
        let key = "\(party.rawValue)/\(tree)"
        if let hit = reportBytes.value(key) { return hit }
        let report = try await reputation(of: party)
        let bytes = try report.canonicalBytes()
        // Only cache what the key names: a receipt appended between the two reads gives another tree.
        if tree.hasPrefix("\(report.checkpoint.size)/\(report.checkpoint.rootHash)/") {
            reportBytes.store(key, bytes, tree: tree)
        }
        return bytes
    }

    /// The reputations of up to 100 parties, all at the same tree size.
    public func reputations(of parties: [PartyID], asOf: UInt64? = nil) async throws(KuraError)
        -> [ReputationReport]
    {
        guard (1...Self.maxReputationBatch).contains(parties.count) else {
            throw KuraError(.invalidRequest, "name 1 to \(Self.maxReputationBatch) parties")
        }
        return try await read(.public) { db throws(KuraError) in
            let latest = try Self.latestReputation(parties[0], db)
            if asOf == nil || asOf == latest.tree.size {
                var reports = [latest.report]
                for party in parties.dropFirst() {
                    let next = try Self.latestReputation(party, db)
                    // A receipt appended between the two reads: fold the prefix the first one saw instead.
                    guard next.tree == latest.tree else {
                        return try Self.historicReputations(parties, size: latest.tree.size, latest: latest, db)
                    }
                    reports.append(next.report)
                }
                return reports
            }
            guard let asOf, asOf <= latest.tree.size else {
                throw KuraError(.notFound, "the log has \(latest.tree.size) receipts, not \(asOf ?? 0)")
            }
            return try Self.historicReputations(parties, size: asOf, latest: latest, db)
        }
    }

    /// The report signed by Kura, with the signed checkpoint of its tree.
    public func reputationAttestation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraError)
        -> ReputationAttestation
    {
        let report = try await reputation(of: party, asOf: asOf)
        let checkpoint = try await checkpoint(size: report.checkpoint.size)
        guard checkpoint.rootHash == report.checkpoint.rootHash else {
            throw KuraError(.internalError, "the reputation rows and the receipt tree disagree at \(checkpoint.size)")
        }
        return try ReputationAttestation.sign(report, checkpointNote: checkpoint.note, signer: signer)
    }

    /// ``reputationAttestation(of:asOf:)`` at a checkpoint already issued, for the public route: it reads and
    /// signs the report, and never writes (no checkpoint is signed or stored on a public read).
    public func reputationAttestation(of party: PartyID, at checkpoint: CheckpointRecord) async throws(KuraError)
        -> ReputationAttestation
    {
        let report = try await reputation(of: party, asOf: checkpoint.size)
        guard checkpoint.rootHash == report.checkpoint.rootHash else {
            throw KuraError(.internalError, "the reputation rows and the receipt tree disagree at \(checkpoint.size)")
        }
        return try ReputationAttestation.sign(report, checkpointNote: checkpoint.note, signer: signer)
    }

    /// The Meishi passport: the party record and its current reputation, freshly signed by Kura. Public.
    public func meishiPassport(_ id: PartyID) async throws(KuraError) -> Passport {
        let party = try await party(id)
        return Passport.issue(
            party: party, issuedAt: clock.now(), issuer: signer.name, key: signer.key,
            reputation: try await reputation(of: id))
    }

    /// The tree the projection is at and the party's report there, from one statement (one snapshot).
    private static func latestReputation(_ party: PartyID, _ db: any ReadSession) throws(KuraError) -> (
        tree: ReputationCheckpoint, model: ReputationModel, report: ReputationReport
    ) {
        // One snapshot (the read runs in one transaction): the log row and the party's row agree.
        guard let log = try db.reputationLog() else {
            let tree = ReputationCheckpoint(size: 0, rootHash: Base64.encode(MerkleHash.emptyRoot))
            let report = ReputationReport(
                party: party, state: PartyReputation(), size: 0, rootHash: tree.rootHash, asOf: nil, model: .standard)
            return (tree, .standard, report)
        }
        let tree = ReputationCheckpoint(size: log.size, rootHash: Base64.encode(log.root))
        let model = try reputationModels.value(Array(log.model.utf8))
        let state = try db.reputationParty(party) ?? PartyReputation()
        let report = ReputationReport(
            party: party, state: state, size: tree.size, rootHash: tree.rootHash, asOf: log.lastAt, model: model)
        return (tree, model, report)
    }

    /// Reports at an earlier tree size: each party's receipts in that prefix, folded afresh.
    private static func historicReputations(
        _ parties: [PartyID], size: UInt64,
        latest: (tree: ReputationCheckpoint, model: ReputationModel, report: ReputationReport),
        _ db: any ReadSession
    ) throws(KuraError) -> [ReputationReport] {
        guard size > 0 else {
            return parties.map {
                ReputationReport(
                    party: $0, state: PartyReputation(), size: 0, rootHash: Base64.encode(MerkleHash.emptyRoot),
                    asOf: nil, model: latest.model)
            }
        }
        let root: [UInt8]
        do { root = try MerkleTree(nodes: db.merkleNodes).root(size: size) } catch {
            throw KuraError(.storageFailure, "cannot compute the root at \(size): \(error)")
        }
        guard let lastRow = try db.receipt(size - 1) else { throw KuraError(.notFound, "no receipt \(size - 1)") }
        let lastAt = try decodeReceipt(lastRow).at
        return try parties.map { party throws(KuraError) in
            var ledger = ReputationLedger(model: latest.model, only: party)
            var after: Int64 = -1
            paging: while true {
                let page = try db.receipts(after: after, party: party, kind: nil, limit: 1000)
                guard let last = page.last else { break }
                for row in page {
                    guard row.index < size else { break paging }
                    try ledger.fold(try decodeReceipt(row))
                }
                after = Int64(last.index)
            }
            try ledger.close(size: size, lastAt: lastAt)
            return ledger.report(for: party, rootHash: Base64.encode(root))
        }
    }
}

/// A bounded map from keys to bytes of one tree, emptied when full (hot entries come back at once) and
/// whenever an entry of another tree is stored.
///
/// A key names the tree it was read at, and requests read the current tree, so an entry of an older tree is
/// never asked for again: keeping those held up to `capacity` dead reports (about 10 MB at the soak's rate,
/// filled over half an hour, which looked like a slow leak). Two requests that read trees on either side of
/// an append may empty it in turn; that costs hits, never a wrong answer.
final class BytesCache: @unchecked Sendable {
    private var entries: [String: [UInt8]] = [:]
    private var tree = ""
    private let lock = NSLockLike()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(_ key: String) -> [UInt8]? { lock.withLock { entries[key] } }

    /// Keeps `bytes` under `key`, read at `tree`.
    func store(_ key: String, _ bytes: [UInt8], tree: String) {
        lock.withLock {
            if tree != self.tree || entries.count >= capacity {
                entries.removeAll(keepingCapacity: entries.count < capacity)
                self.tree = tree
            }
            entries[key] = bytes
        }
    }

    /// The entries held now.
    var count: Int { lock.withLock { entries.count } }
}
