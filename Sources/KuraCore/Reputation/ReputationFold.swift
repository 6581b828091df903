/// One receipt folded into one party's role: O(1) work, the same for the server's projection and for an
/// offline recomputation, so both reach the same bits.
public enum ReputationFold {
    /// The parties a receipt concerns and their roles, from its two parties alone (a receipt row's columns,
    /// without decoding the receipt): the payee as provider, the payer as payer. None when the two are the same
    /// party (paying oneself says nothing about anyone).
    public static func roles(payer: PartyID, payee: PartyID) -> [(
        party: PartyID, role: ReputationRole, counterparty: PartyID
    )] {
        guard payer != payee else { return [] }
        return [(payee, .provider, payer), (payer, .payer, payee)]
    }

    /// One integer for a pair of parties numbered in order of first appearance, one of them in `role`: a fold that
    /// numbers its parties (``ReputationLedger``, the server's batch) keys the pair's evidence by it instead of
    /// hashing the two IDs. `party << 33 | counterparty << 1 | role` (0 provider, 1 payer).
    public static func pairNumber(_ party: Int, _ role: ReputationRole, _ counterparty: Int) -> UInt64 {
        UInt64(party) << 33 | UInt64(counterparty) << 1 | (role == .provider ? 0 : 1)
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
    /// The scoring parameters.
    public let model: ReputationModel
    /// Only this party's state is kept, when set (its state depends on its own receipts only).
    public let only: PartyID?
    /// Parties by number, in order of first appearance; the states and pairs are kept by number, so the
    /// fold hashes each party ID once per receipt and finds each pair by an integer, not by its two IDs.
    private var numbers: [PartyID: Int] = [:]
    private var ids: [PartyID] = []
    private var states: [PartyReputation] = []
    /// Pairs by ``ReputationFold/pairNumber(_:_:_:)``.
    private var pairs: [UInt64: Evidence] = [:]
    /// How many receipts have been folded: the tree size the state is at.
    public private(set) var size: UInt64 = 0
    /// The `at` of the last receipt folded: the time scores are decayed to.
    public private(set) var lastAt: Timestamp?

    /// An empty ledger.
    public init(model: ReputationModel = .standard, only: PartyID? = nil) {
        self.model = model
        self.only = only
    }

    /// Every party the receipts named (as payer or payee of a receipt that counts), with its state.
    public var parties: [PartyID: PartyReputation] { Dictionary(uniqueKeysWithValues: zip(ids, states)) }

    /// The state of one party (empty when no receipt named it).
    public func state(of party: PartyID) -> PartyReputation {
        numbers[party].map { states[$0] } ?? PartyReputation()
    }

    /// Folds the next receipt of the log: its `index` must be ``size`` (for a one-party ledger, at least
    /// ``size``: it sees only the receipts that name its party).
    public mutating func fold(_ receipt: Receipt) throws(KuraError) {
        guard only == nil ? receipt.index == size : receipt.index >= size else {
            throw KuraError(.invalidRequest, "receipt \(receipt.index) is out of order: expected index \(size)")
        }
        size = receipt.index + 1
        lastAt = receipt.at
        guard receipt.payer != receipt.payee else { return }
        if let only, only != receipt.payer, only != receipt.payee { return }
        let payee = number(receipt.payee)
        let payer = number(receipt.payer)
        if only == nil || only == receipt.payee {
            ReputationFold.fold(
                receipt, role: .provider, into: &states[payee].provider,
                pair: &pairs[ReputationFold.pairNumber(payee, .provider, payer), default: Evidence()], model: model)
        }
        if only == nil || only == receipt.payer {
            ReputationFold.fold(
                receipt, role: .payer, into: &states[payer].payer,
                pair: &pairs[ReputationFold.pairNumber(payer, .payer, payee), default: Evidence()], model: model)
        }
    }

    private mutating func number(_ party: PartyID) -> Int {
        if let number = numbers[party] { return number }
        numbers[party] = ids.count
        ids.append(party)
        states.append(PartyReputation())
        return ids.count - 1
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
            party: party, state: state(of: party), size: size, rootHash: rootHash, asOf: lastAt, model: model)
    }
}
