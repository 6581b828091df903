import KuraCore
import KuraCrypto
import KuraStore

/// Receipts, their RFC 6962 tree and the reputation they fold into.
///
/// A receipt is derived when its event is applied (it needs the aggregate as it was just before). Its fold
/// into its parties' reputation, its leaf bytes, leaf hash and the tree nodes it completes are computed once
/// per batch, in ``finishBatch(_:)``, from the frontier of what is stored: a refused command's receipts are
/// dropped before that, so it never leaves a node or a reputation change behind. Only
/// subtrees of 8 leaves and more are written (``MerkleNode/lowestStoredLevel``); reads hash smaller ones
/// from their receipts.
extension WriterState {
    /// The stored tree's frontier (read on first use: one hash per set bit of the size).
    func storedTree() throws(KuraError) -> Tree {
        let tree = try self.tree.value(0) { () throws(KuraError) -> Tree? in
            let size = try reads.receiptCount()
            do {
                return Tree(appender: try MerkleAppender(size: size, nodes: reads.merkleNodes))
            } catch let error as KuraError {
                // A read that failed (a lost PostgreSQL session is `storage_unavailable`, 503) keeps its code.
                throw error
            } catch {
                throw KuraError(.storageFailure, "cannot resume the Merkle tree at size \(size): \(error)")
            }
        }
        guard let tree else { throw KuraError(.internalError, "no receipt tree") }
        return tree
    }

    /// The number of receipts, this batch's included.
    func receiptCount() throws(KuraError) -> UInt64 {
        try storedTree().appender.size + UInt64(pendingReceipts.count)
    }

    /// Derives the receipt `make` gives for the next leaf index (nil: the event has none); it is folded into
    /// reputation with the batch (``finishBatch(_:)``).
    func appendReceipt(_ envelope: Event, _ tx: WriteTransaction, _ make: (UInt64) throws(KuraError) -> Receipt?)
        throws(KuraError)
    {
        guard let receipt = try make(try receiptCount()) else { return }
        pendingReceipts.append((receipt, envelope.seq))
    }

    /// Folds receipts, in order, into the reputation of their parties, O(1) rows each, and records each row they
    /// changed once. No command decides on reputation, so the batch's receipts are folded when it is finished,
    /// after its refused commands dropped theirs: one change per row and one journal entry, not one per receipt.
    ///
    /// As ``ReputationLedger`` does, parties and pairs are numbered in order of first appearance and folded in
    /// place: per receipt and role, a party's ID is hashed once and its pair is found by an integer made of
    /// the two parties' numbers (its string key is built once per batch), and no state is copied out and
    /// stored back (a cached state's maps are copied once per batch, at its first change).
    func foldReputation(_ receipts: some Sequence<Receipt>, _ tx: WriteTransaction) throws(KuraError) {
        var numbers: [PartyID: Int] = [:]
        var parties: [(id: PartyID, state: PartyReputation)] = []
        // Pairs by ``ReputationFold/pairNumber(_:_:_:)``.
        var pairNumbers: [UInt64: Int] = [:]
        var pairs: [(key: PairKey, evidence: Evidence)] = []
        func number(_ party: PartyID) throws(KuraError) -> Int {
            if let number = numbers[party] { return number }
            let state =
                try reputationParties.value(party) { () throws(KuraError) -> PartyReputation? in
                    try reads.reputationParty(party)
                } ?? PartyReputation()
            numbers[party] = parties.count
            parties.append((party, state))
            return parties.count - 1
        }
        func pair(_ party: Int, _ role: ReputationRole, _ counterparty: Int) throws(KuraError) -> Int {
            let packed = ReputationFold.pairNumber(party, role, counterparty)
            if let number = pairNumbers[packed] { return number }
            let key = PairKey(party: parties[party].id, role: role, counterparty: parties[counterparty].id)
            let evidence =
                try reputationPairs.value(key) { () throws(KuraError) -> Evidence? in
                    try reads.reputationPair(party: key.party, role: role, counterparty: key.counterparty)
                } ?? Evidence()
            pairNumbers[packed] = pairs.count
            pairs.append((key, evidence))
            return pairs.count - 1
        }
        for receipt in receipts {
            // The roles of ``ReputationFold/roles(payer:payee:)``, in its order: the payee as provider first.
            guard receipt.payer != receipt.payee else { continue }
            let payee = try number(receipt.payee)
            let payer = try number(receipt.payer)
            let provided = try pair(payee, .provider, payer)
            ReputationFold.fold(
                receipt, role: .provider, into: &parties[payee].state.provider, pair: &pairs[provided].evidence,
                model: reputationModel)
            let paid = try pair(payer, .payer, payee)
            ReputationFold.fold(
                receipt, role: .payer, into: &parties[payer].state.payer, pair: &pairs[paid].evidence,
                model: reputationModel)
        }
        for (party, state) in parties {
            reputationParties.set(party, state)
            tx.change(.reputationParty(ReputationPartyRow(party: party, state: state)))
        }
        // A pair with no evidence yet (a kind that adds none to it) has no row.
        for (key, pair) in pairs where !pair.isEmpty {
            reputationPairs.set(key, pair)
            tx.change(
                .reputationPair(
                    ReputationPairRow(
                        party: key.party, role: key.role, counterparty: key.counterparty, evidence: pair)))
        }
    }

    /// The batch's receipts folded into reputation and as rows, with their leaves' Merkle nodes and the
    /// reputation log's new head. A reputation row that cannot be read here fails the batch, every command of it.
    func finishBatch(_ tx: WriteTransaction) throws(KuraError) {
        guard let last = pendingReceipts.last else { return }
        try foldReputation(pendingReceipts.lazy.map(\.receipt), tx)
        var tree = try storedTree()
        for (receipt, seq) in pendingReceipts {
            let leaf = try receipt.leafBytes()
            tx.change(
                .receipt(
                    ReceiptRow(
                        index: receipt.index, seq: seq, kind: receipt.kind, subject: receipt.subject,
                        payer: receipt.payer, payee: receipt.payee, json: leaf)))
            for node in tree.appender.append(leafHash: MerkleHash.leaf(leaf)) where node.isStored {
                tx.change(.merkleNode(node))
            }
        }
        tx.change(
            .reputationLog(
                ReputationLogRow(
                    size: tree.appender.size, root: tree.appender.root, lastAt: last.receipt.at,
                    model: reputationModelText)))
        self.tree.set(0, tree)
        pendingReceipts.removeAll(keepingCapacity: true)
    }
}

extension WriterState {
    /// The reputation tables as receipts were folded with another model, or missing (a database from before
    /// reputation): emptied and folded again from every stored receipt, in this transaction.
    func rebuildReputationIfStale(_ session: any WriterSession, _ tx: WriteTransaction) throws(KuraError) {
        let reads = session.reads
        let stored = try reads.reputationLog()
        let size = try reads.receiptCount()
        if stored?.size ?? 0 == size && (size == 0 || stored?.model == reputationModelText) { return }
        try tx.resetReadModels(.reputation, on: session)
        reputationParties.removeAll()
        reputationPairs.removeAll()
        var appender = MerkleAppender()
        var after: Int64 = -1
        var lastAt = Timestamp(milliseconds: 0)
        while true {
            let page = try reads.receipts(after: after, party: nil, kind: nil, limit: 1000)
            guard let last = page.last else { break }
            var receipts: [Receipt] = []
            receipts.reserveCapacity(page.count)
            for row in page {
                receipts.append(try RowJSON.decode(Receipt.self, row.json))
                appender.append(leaf: row.json)
            }
            try foldReputation(receipts, tx)
            lastAt = receipts.last?.at ?? lastAt
            after = Int64(last.index)
            try tx.flush(to: session)
        }
        if appender.size > 0 {
            tx.change(
                .reputationLog(
                    ReputationLogRow(
                        size: appender.size, root: appender.root, lastAt: lastAt, model: reputationModelText)))
        }
    }
}
