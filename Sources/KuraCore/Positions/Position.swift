/// A crypto-fast collateral position (stream `position/pos_…`): collateral locked in its own asset, valued by
/// operator prices, lending up to value × LTV in `asset` for facilitator payments.
///
/// Its state is the fold of its own events and of the reservation events that draw on it (`reserved` adds to
/// ``reserved``; `settled` turns that into ``debt``; `voided` takes it off). Health factor, in basis points:
/// value × 10000 / (debt + reserved). Wire shape: `{id, state, agent, collateralAsset, collateral, asset, ltvBps,
/// minHealthBps, singlePaymentCap, debt, reserved, openedAt, closedAt?}`.
public struct Position: Sendable, Equatable, Hashable, Codable {
    /// Where a position is. `frozen` refuses new payments until its health recovers; `closed` is terminal;
    /// `liquidated` only takes repayments of a residual debt.
    public enum State: String, Sendable, Codable, CaseIterable {
        case active, frozen, liquidated, closed
    }

    public let id: PositionID
    public internal(set) var state: State
    public let agent: PartyID
    /// The collateral's asset.
    public let collateralAsset: Asset
    /// Collateral units locked in `position/<id>/collateral`.
    public internal(set) var collateral: Amount
    /// The asset payments are made in (and debt owed in).
    public let asset: Asset
    /// Loan-to-value cap in basis points: credit is value × ltvBps / 10000.
    public let ltvBps: UInt64
    /// Below this health factor (basis points, 15000 = 1.5) a price update freezes the position.
    public let minHealthBps: UInt64
    /// The most one payment may be.
    public let singlePaymentCap: Amount
    /// Settled payments not yet repaid.
    public internal(set) var debt: Amount
    /// Live reservations.
    public internal(set) var reserved: Amount
    public let openedAt: Timestamp
    public internal(set) var closedAt: Timestamp?

    init(id: PositionID, terms: PositionTerms, openedAt: Timestamp) {
        self.id = id
        self.state = .active
        self.agent = terms.agent
        self.collateralAsset = terms.collateralAsset
        self.collateral = terms.collateral
        self.asset = terms.asset
        self.ltvBps = terms.ltvBps
        self.minHealthBps = terms.minHealthBps
        self.singlePaymentCap = terms.singlePaymentCap
        self.debt = .zero
        self.reserved = .zero
        self.openedAt = openedAt
    }

    /// What counts against the credit line: unpaid debt plus live reservations.
    public var exposure: UInt64 { debt.units + reserved.units }

    /// The credit line at `price`: collateral value × LTV, rounded down.
    public func credit(at price: Price) -> Amount { price.value(of: collateral).basisPoints(ltvBps) }

    /// The health factor in basis points at `price`, or nil when nothing is owed or reserved (infinitely healthy).
    public func healthBps(at price: Price) -> UInt64? {
        guard exposure > 0 else { return nil }
        let (high, low) = price.value(of: collateral).units.multipliedFullWidth(by: 10_000)
        guard high < exposure else { return .max }
        return exposure.dividingFullWidth((high, low)).quotient
    }

    /// Whether the health at `price` is below the minimum.
    public func isUnhealthy(at price: Price) -> Bool {
        guard let health = healthBps(at: price) else { return false }
        return health < minHealthBps
    }
}

/// What an agent asks for when it opens a position; `ltvBps` and `minHealthBps` come from the service's
/// configuration and are recorded, so a later change of configuration does not rewrite history.
public struct PositionTerms: Sendable, Equatable, Hashable, Codable {
    public var agent: PartyID
    public var collateralAsset: Asset
    public var collateral: Amount
    public var asset: Asset
    public var singlePaymentCap: Amount
    public var ltvBps: UInt64
    public var minHealthBps: UInt64

    public init(
        agent: PartyID, collateralAsset: Asset, collateral: Amount, asset: Asset, singlePaymentCap: Amount,
        ltvBps: UInt64, minHealthBps: UInt64
    ) {
        self.agent = agent
        self.collateralAsset = collateralAsset
        self.collateral = collateral
        self.asset = asset
        self.singlePaymentCap = singlePaymentCap
        self.ltvBps = ltvBps
        self.minHealthBps = minHealthBps
    }
}

/// What someone asks of a position.
public enum PositionCommand: Sendable, Equatable {
    /// The agent pays back `amount` of its debt from its available balance in the position's asset.
    case repay(Amount)
    /// An operator sells collateral at `price` to cover the debt; live reservations must have been voided.
    case liquidate(Price)
    /// The agent takes its collateral back; nothing may be owed or reserved.
    case close

    public var name: String {
        switch self {
        case .repay: "repay"
        case .liquidate: "liquidate"
        case .close: "close"
        }
    }
}
