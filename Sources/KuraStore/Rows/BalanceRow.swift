import KuraCore

/// A row of `balances`: the absolute balance of one account in one asset (not a delta), so a batch writes
/// the last value of a hot account once.
public struct BalanceRow: Sendable, Equatable, Hashable {
    /// The account, e.g. `party/pty_…/available` or `fees`.
    public var account: String
    /// The asset's name.
    public var asset: String
    /// Signed units: `external` and position debts go below zero.
    public var units: Int64

    public init(account: String, asset: String, units: Int64) {
        self.account = account
        self.asset = asset
        self.units = units
    }
}
