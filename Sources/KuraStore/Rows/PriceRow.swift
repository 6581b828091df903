import KuraCore

/// A row of `prices`: the latest price of a pair and the `seq` that posted it.
public struct PriceRow: Sendable, Equatable {
    public var price: Price
    public var seq: UInt64

    public init(price: Price, seq: UInt64) {
        self.price = price
        self.seq = seq
    }
}
