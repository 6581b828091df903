/// Double-entry balances per account and asset: the fold of every posting in the log.
///
/// `apply` never refuses: the log is the truth, and rules about who may spend what are checked when a
/// command is decided. What this type can do is say whether the books still balance.
public struct Ledger: Sendable, Equatable {
    /// Signed balances; `external` is negative by the sum of net deposits. Zero balances are dropped,
    /// so two ledgers that hold the same money compare equal whatever their history.
    public private(set) var balances: [AccountName: [Asset: Int64]] = [:]
    /// Accounts whose balance passed the range of `Int64`; reported by ``invariantViolations()``.
    private var overflowed: Set<String> = []

    /// An empty ledger.
    public init() {}

    /// Moves the amount of each posting from its `from` to its `to` account.
    public mutating func apply(_ postings: [Posting]) {
        for posting in postings {
            // Amounts are ≤ 2^53−1, so one step never overflows; many steps could, and apply must not trap.
            add(-Int64(posting.amount.units), to: posting.from, posting.asset)
            add(Int64(posting.amount.units), to: posting.to, posting.asset)
        }
    }

    private mutating func add(_ delta: Int64, to account: AccountName, _ asset: Asset) {
        let (sum, overflow) = balance(account, asset).addingReportingOverflow(delta)
        if overflow { overflowed.insert("\(account) \(asset)") }
        balances[account, default: [:]][asset] = sum == 0 ? nil : sum
        if balances[account]?.isEmpty == true { balances[account] = nil }
    }

    /// The signed balance of `account` in `asset`; 0 if it never moved.
    public func balance(_ account: AccountName, _ asset: Asset) -> Int64 {
        balances[account]?[asset] ?? 0
    }

    /// What `party` can spend in `asset`: its available balance, or zero if the books are broken.
    public func available(_ party: PartyID, _ asset: Asset) -> Amount {
        let units = balance(.available(party), asset)
        return units <= 0 ? .zero : Amount(checked: min(UInt64(units), Amount.maxUnits))
    }

    /// Sentences describing every broken rule; empty when the books are sound.
    ///
    /// Rules: per asset, the balances sum to zero; no account but `external` and `position/*/debt` is negative
    /// (this covers `party/*/available`, every `*/held`, mandate funds, collateral and `fees`); a position's debt
    /// is never positive; no balance overflowed.
    public func invariantViolations() -> [String] {
        var violations: [String] = []
        var sums: [Asset: Int64] = [:]
        for (account, perAsset) in balances.sorted(by: { $0.key < $1.key }) {
            for (asset, units) in perAsset.sorted(by: { $0.key < $1.key }) {
                // Wrapping is exact here: the true sum is 0 exactly when the wrapped sum is.
                sums[asset, default: 0] &+= units
                if units < 0 && !account.mayBeNegative {
                    violations.append("\(account) is \(units) \(asset), below zero")
                }
                if units > 0, case .positionDebt = account {
                    violations.append("\(account) is \(units) \(asset), above zero (repaid more than owed)")
                }
            }
        }
        for (asset, sum) in sums.sorted(by: { $0.key < $1.key }) where sum != 0 {
            violations.append("\(asset) balances sum to \(sum), not 0")
        }
        for account in overflowed.sorted() {
            violations.append("\(account) overflowed Int64")
        }
        return violations
    }
}
