import KuraCore
import KuraCrypto
import KuraStore

/// The assertion mode: every cached entry against the row it stands for. A cache may hold less than the
/// database, never something else.
extension WriterState {
    func differences(_ reads: any ReadSession) throws(KuraError) -> [String] {
        var out: [String] = []
        func check<Key, Value: Equatable>(
            _ name: String, _ cache: WriterCache<Key, Value>, _ stored: (Key) throws(KuraError) -> Value?
        ) throws(KuraError) {
            for (key, cached) in cache.entries {
                let row = try stored(key)
                if row != cached {
                    out.append(
                        "\(name) \(key): the writer holds \(cached.map { "\($0)" } ?? "nothing"), "
                            + "the database \(row.map { "\($0)" } ?? "nothing")")
                }
            }
        }
        try check("party", parties) { id throws(KuraError) in try reads.party(id) }
        try check("party count", partyTotal) { _ throws(KuraError) in try reads.partyCount() }
        try check("arbiters", arbiters) { _ throws(KuraError) in try reads.activeArbiters() }
        try check("balance", balances) { key throws(KuraError) in
            try reads.balance(account: key.account.rawValue, asset: key.asset.name)
        }
        try check("escrow", escrows) { id throws(KuraError) in try reads.escrow(id) }
        try check("dispute", disputes) { id throws(KuraError) in
            // Members are written with the row but not read back; compare the dispute and its seq.
            guard let row = try reads.dispute(id) else { return nil }
            let cached = disputes.cached(id) ?? nil
            return DisputeRow(dispute: row.dispute, seq: row.seq, members: cached?.members ?? [])
        }
        try check("channel", channels) { id throws(KuraError) in try reads.channel(id) }
        try check("reservation", reservations) { id throws(KuraError) in try reads.reservation(id) }
        try check("mandate", mandates) { id throws(KuraError) in try reads.mandate(id) }
        try check("position", positions) { id throws(KuraError) in try reads.position(id) }
        try check("price", prices) { key throws(KuraError) in
            let names = key.split(separator: "/").map(String.init)
            guard names.count == 2 else { return nil }
            return try reads.price(base: try Asset(names[0]), quote: try Asset(names[1]))
        }
        try check("x402 settlement", x402ByNonce) { key throws(KuraError) in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return try reads.x402Settlement(payer: PartyID(unchecked: parts[0]), nonce: parts[1])
        }
        try check("x402 identifier", x402ByIdentifier) { key throws(KuraError) in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return try reads.x402Settlement(payer: PartyID(unchecked: parts[0]), identifier: parts[1])
        }
        try check("solana payment", solanaPayments) { hash throws(KuraError) in
            try reads.solanaPayment(messageHash: hash)
        }
        try check("withdrawal", withdrawals) { id throws(KuraError) in try reads.withdrawal(id) }
        try check("nonce", nonces) { key throws(KuraError) in
            try reads.nonceExists(party: key.party, nonce: key.nonce) ? true : nil
        }
        try check("reputation", reputationParties) { party throws(KuraError) in try reads.reputationParty(party) }
        try check("reputation pair", reputationPairs) { key throws(KuraError) in
            try reads.reputationPair(party: key.party, role: key.role, counterparty: key.counterparty)
        }
        if case .some(.some(let tree)) = tree.cached(0) {
            let size = try reads.receiptCount()
            if size != tree.appender.size {
                out.append("receipt tree: the writer has \(tree.appender.size) leaves, the database \(size)")
            } else if size > 0 {
                let root: [UInt8]
                do { root = try MerkleTree(nodes: reads.merkleNodes).root(size: size) } catch let error as KuraError {
                    // A lost database (`storage_unavailable`) stays what it is: the assertion mode skips it.
                    throw error
                } catch {
                    throw KuraError(.storageFailure, "cannot compute the root at \(size): \(error)")
                }
                if root != tree.appender.root { out.append("receipt tree: the frontier's root is not the stored one") }
                if let log = try reads.reputationLog(), log.size != size || log.root != root {
                    out.append("reputation log: at \(log.size), the tree at \(size)")
                }
            }
        }
        if !pendingReceipts.isEmpty { out.append("\(pendingReceipts.count) receipts derived but not written") }
        return out
    }
}
