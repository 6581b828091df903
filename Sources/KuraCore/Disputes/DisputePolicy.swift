/// How disputes run: panel sizes, deadlines and the default outcome. Operator configuration, passed
/// to `decide` as a value so that the same policy and commands always give the same log.
public struct DisputePolicy: Sendable, Codable, Equatable, Hashable {
    /// A panel size for escrows up to an amount.
    public struct Tier: Sendable, Codable, Equatable, Hashable {
        /// The largest amount (in units) this tier covers.
        public var upTo: Amount
        /// How many arbiters sit on a first-round panel.
        public var panelSize: Int

        /// Creates a tier.
        public init(upTo: Amount, panelSize: Int) {
            self.upTo = upTo
            self.panelSize = panelSize
        }
    }

    /// Panel sizes by amount, ascending; amounts above the last tier use `largestPanel`.
    public var tiers: [Tier] = [
        Tier(upTo: Amount(checked: 100_000), panelSize: 1), Tier(upTo: Amount(checked: 1_000_000), panelSize: 3),
    ]
    /// The panel size above every tier.
    public var largestPanel: Int = 5
    /// How many more arbiters an appeal panel has than the first.
    public var appealPanelGrowth: Int = 2
    /// How long the payee has to answer a new dispute.
    public var responseWindowMs: Int64 = 48 * 3_600_000
    /// How long a panel has to rule, from the end of the response window (or from the appeal).
    public var rulingWindowMs: Int64 = 72 * 3_600_000
    /// How long either side may appeal a first-round decision.
    public var appealWindowMs: Int64 = 48 * 3_600_000
    /// The refund, in basis points, when the ruling deadline passes with no ruling at all: an even split.
    public var defaultRefundBps: Int = 5_000

    /// The defaults: panels of 1 (≤ 100 000 units), 3 (≤ 1 000 000), else 5; 48 h to respond, 72 h to rule,
    /// 48 h to appeal; an even split when nobody rules.
    public init() {}

    /// The first-round panel size for an amount.
    public func panelSize(for amount: Amount) -> Int {
        tiers.first { amount <= $0.upTo }?.panelSize ?? largestPanel
    }

    /// Checks the values an operator configured.
    public func validate() throws(KuraError) {
        let windows = [responseWindowMs, rulingWindowMs, appealWindowMs]
        guard windows.allSatisfy({ (1...EscrowTerms.maxExactInteger).contains($0) }) else {
            throw KuraError(.invalidRequest, "dispute windows must be 1 ms to \(EscrowTerms.maxExactInteger) ms")
        }
        guard (0...10_000).contains(defaultRefundBps) else {
            throw KuraError(.invalidRequest, "defaultRefundBps must be 0-10000")
        }
        let sizes = tiers.map(\.panelSize) + [largestPanel]
        guard sizes.allSatisfy({ (1...15).contains($0) }), (0...10).contains(appealPanelGrowth) else {
            throw KuraError(.invalidRequest, "panel sizes must be 1-15 and the appeal growth 0-10")
        }
    }
}
