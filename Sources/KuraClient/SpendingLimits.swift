import KuraCore

/// What an agent pre-authorised its x402 client to spend, per asset: at most `perCall` on one request,
/// `perPeriod` in all and `perPayee` to any one payee within a rolling period. A payment over those limits may
/// still go through Kura's `escrow` scheme (the payer can dispute it) up to `escrowPerCall`; an asset with no
/// limits is not authorised at all. Pure value checks: the caller passes the time and what was spent.
public struct SpendingLimits: Sendable, Equatable {
    /// Per asset: the most one request may cost outright.
    public var perCall: [String: UInt64] = [:]
    /// Per asset: the most spent outright within one period.
    public var perPeriod: [String: UInt64] = [:]
    /// Per asset: the most paid outright to one payee within one period.
    public var perPayee: [String: UInt64] = [:]
    /// Per asset: the most one request may lock as an escrow when it is over the other limits (0 or absent: never).
    public var escrowPerCall: [String: UInt64] = [:]
    /// The rolling period, milliseconds.
    public var periodMs: Int64 = 86_400_000

    /// No spending at all until limits are set.
    public init() {}

    /// One payment made: when, to whom, how much of what.
    public struct Spend: Sendable, Equatable {
        public var at: Int64
        public var payee: String
        public var asset: String
        public var amount: UInt64
        public init(at: Int64, payee: String, asset: String, amount: UInt64) {
            self.at = at
            self.payee = payee
            self.asset = asset
            self.amount = amount
        }
    }

    /// How a payment may be made.
    public enum Decision: Sendable, Equatable {
        /// Outright, within every limit.
        case withinLimits
        /// Only as an escrow: over a limit (named), within `escrowPerCall`.
        case escrowOnly(String)
        /// Not at all, and why.
        case refused(String)
    }

    /// Whether paying `amount` of `asset` to `payee` at `now` fits, given what was already `spent`.
    public func decide(amount: UInt64, asset: String, payee: String, now: Int64, spent: [Spend]) -> Decision {
        guard let callLimit = perCall[asset] else { return .refused("no spending is authorised in \(asset)") }
        let recent = spent.filter { $0.asset == asset && $0.at > now - periodMs }
        let inPeriod = recent.reduce(UInt64(0)) { $0 + $1.amount }
        let toPayee = recent.filter { $0.payee == payee }.reduce(UInt64(0)) { $0 + $1.amount }
        var over: String?
        if amount > callLimit {
            over = "\(amount) \(asset) is over the per-call limit of \(callLimit)"
        } else if let limit = perPeriod[asset], inPeriod + amount > limit {
            over = "\(amount) \(asset) would bring the period's spending to \(inPeriod + amount), over \(limit)"
        } else if let limit = perPayee[asset], toPayee + amount > limit {
            over = "\(amount) \(asset) would bring spending with \(payee) to \(toPayee + amount), over \(limit)"
        }
        guard let over else { return .withinLimits }
        guard let escrowLimit = escrowPerCall[asset], escrowLimit > 0, amount <= escrowLimit else {
            return .refused(over + ", and not within the escrow limit")
        }
        return .escrowOnly(over)
    }
}
