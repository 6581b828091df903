/// One receipt folded into one party's role: O(1) work, the same for the server's projection and for an
/// offline recomputation, so both reach the same bits.
public enum ReputationFold {
    /// The parties a receipt concerns and their roles: the payee as provider, the payer as payer. None when
    /// the two are the same party (paying oneself says nothing about anyone).
    public static func roles(of receipt: Receipt) -> [(party: PartyID, role: ReputationRole, counterparty: PartyID)] {
        guard receipt.payer != receipt.payee else { return [] }
        return [(receipt.payee, .provider, receipt.payer), (receipt.payer, .payer, receipt.payee)]
    }

    /// Folds `receipt` into `state` (the party's role) and `pair` (what this counterparty has given it so
    /// far in this role). The counts always move; evidence is decayed to the receipt's tick, capped so that
    /// the pair's positive and negative evidence each stay at or below ``ReputationModel/counterpartyCap``,
    /// then added to both.
    public static func fold(
        _ receipt: Receipt, role: ReputationRole, into state: inout RoleReputation, pair: inout Evidence,
        model: ReputationModel
    ) {
        ReputationRules.record(receipt, as: role, into: &state.facts)
        let (positive, negative) = ReputationRules.evidence(receipt, as: role)
        guard positive > 0 || negative > 0 else { return }
        let tick = model.tick(receipt.at)
        var capped = pair.decayed(to: tick)
        let cap = model.counterpartyCap
        let addPositive = min(positive, cap - min(cap, capped.positive))
        let addNegative = min(negative, cap - min(cap, capped.negative))
        capped.positive += addPositive
        capped.negative += addNegative
        pair = capped
        var total = state.evidence.decayed(to: tick)
        total.positive += addPositive
        total.negative += addNegative
        state.evidence = total
    }
}

/// Every party's reputation over a prefix of the receipt log, folded in memory: what `kura reputation
/// compute` runs offline over an export, and what the service runs for `asOf` (over one party's receipts).
public struct ReputationLedger: Sendable {
    /// A counterparty's contribution to a party in one role.
    struct PairKey: Hashable, Sendable {
        let party: PartyID
        let role: ReputationRole
        let counterparty: PartyID
    }

    /// The scoring parameters.
    public let model: ReputationModel
    /// Only this party's state is kept, when set (its state depends on its own receipts only).
    public let only: PartyID?
    /// Each party's state.
    public private(set) var parties: [PartyID: PartyReputation] = [:]
    var pairs: [PairKey: Evidence] = [:]
    /// How many receipts have been folded: the tree size the state is at.
    public private(set) var size: UInt64 = 0
    /// The `at` of the last receipt folded: the time scores are decayed to.
    public private(set) var lastAt: Timestamp?

    /// An empty ledger.
    public init(model: ReputationModel = .standard, only: PartyID? = nil) {
        self.model = model
        self.only = only
    }

    /// Folds the next receipt of the log: its `index` must be ``size`` (for a one-party ledger, at least
    /// ``size``: it sees only the receipts that name its party).
    public mutating func fold(_ receipt: Receipt) throws(KuraError) {
        guard only == nil ? receipt.index == size : receipt.index >= size else {
            throw KuraError(.invalidRequest, "receipt \(receipt.index) is out of order: expected index \(size)")
        }
        size = receipt.index + 1
        lastAt = receipt.at
        for (party, role, counterparty) in ReputationFold.roles(of: receipt) where only == nil || only == party {
            let key = PairKey(party: party, role: role, counterparty: counterparty)
            // In place, so the state's dictionaries are not copied on every receipt.
            if role == .provider {
                ReputationFold.fold(
                    receipt, role: role, into: &parties[party, default: PartyReputation()].provider,
                    pair: &pairs[key, default: Evidence()], model: model)
            } else {
                ReputationFold.fold(
                    receipt, role: role, into: &parties[party, default: PartyReputation()].payer,
                    pair: &pairs[key, default: Evidence()], model: model)
            }
        }
    }

    /// Moves a one-party ledger to the end of the tree it was fed from: `size` receipts, the last at `lastAt`.
    public mutating func close(size: UInt64, lastAt: Timestamp?) throws(KuraError) {
        guard size >= self.size else {
            throw KuraError(.invalidRequest, "the ledger is at \(self.size) receipts, past \(size)")
        }
        self.size = size
        self.lastAt = lastAt
    }

    /// The report for `party` at this prefix, naming the tree's root (base64) as the caller computed it.
    public func report(for party: PartyID, rootHash: String) -> ReputationReport {
        ReputationReport(
            party: party, state: parties[party] ?? PartyReputation(), size: size, rootHash: rootHash, asOf: lastAt,
            model: model)
    }
}
