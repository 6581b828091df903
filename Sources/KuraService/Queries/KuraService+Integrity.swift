import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// A digest of every read-model row, in a fixed order: equal digests mean equal projections.
    public func projectionDigest() async throws(KuraError) -> String {
        try await read { reads throws(KuraError) in try reads.projectionDigest() }
    }

    /// Rebuilds every read model from the log, in one transaction; returns the digests before and after.
    /// They are equal unless a read model had drifted from the log. The writer's state is rebuilt with them
    /// (the same projection folds every event). `progress`, if given, hears the count of events replayed after
    /// each page (on the writer's thread).
    public func replay(progress: (@Sendable (UInt64) -> Void)? = nil) async throws(KuraError) -> (
        before: String, after: String, events: UInt64
    ) {
        try await store.replay(progress: progress)
    }

    /// The differences between the writer's in-memory state and the read models (empty when they agree): what
    /// the assertion mode checks after every batch, on demand.
    public func writerStateDifferences() async throws(KuraError) -> [String] {
        try await store.writerStateDifferences()
    }

    /// Ledger invariants over the balances read model: every asset sums to zero, no available or held
    /// balance is negative (a position's debt may be, and may never be positive). Empty when all hold.
    public func ledgerViolations() async throws(KuraError) -> [String] {
        try await read { reads throws(KuraError) in
            var violations: [String] = []
            for row in try reads.unbalancedAssets() {
                violations.append("asset \(row.asset) sums to \(row.units), not 0")
            }
            for row in try reads.negativeBalances() {
                violations.append("\(row.account) holds \(row.units) \(row.asset)")
            }
            // A position's debt account is negative by what is owed; above zero, more was repaid than owed.
            for row in try reads.positiveDebts() {
                violations.append("\(row.account) holds \(row.units) \(row.asset), above zero")
            }
            return violations
        }
    }
}
