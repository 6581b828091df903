import KuraCore

/// A row of `positions`: the position and the `seq` of `position.opened`; its `pair` column is
/// ``PositionRow/pair(_:_:)`` of its collateral and credit assets, to find the positions a price concerns.
public struct PositionRow: Sendable, Equatable {
    public var position: Position
    public var seq: UInt64

    public init(position: Position, seq: UInt64) {
        self.position = position
        self.seq = seq
    }

    /// The `pair` column.
    public var pair: String { Self.pair(position.collateralAsset, position.asset) }

    /// `base/quote`, the key positions are indexed by.
    public static func pair(_ base: Asset, _ quote: Asset) -> String { base.name + "/" + quote.name }
}
