import KuraCrypto

/// An operator-posted price: `units` of the quote asset per 10^9 (``scale``) atomic units of the base asset
/// (stream `price/<base>/<quote>`). Integers only: 1 SOL (10^9 lamports) at 150 USDC (6 decimals) is
/// `units: 150_000_000`.
public struct Price: Sendable, Equatable, Hashable, Codable {
    /// The base amount a price is quoted for: 10^9 atomic units.
    public static let scale: UInt64 = 1_000_000_000

    /// The collateral asset.
    public var base: Asset
    /// The asset it is valued in.
    public var quote: Asset
    /// Quote units per ``scale`` base units; more than zero.
    public var units: UInt64
    /// When it was posted.
    public var at: Timestamp

    public init(base: Asset, quote: Asset, units: UInt64, at: Timestamp) {
        self.base = base
        self.quote = quote
        self.units = units
        self.at = at
    }

    /// The value of `amount` base units in quote units, `amount × units / scale` rounded down (128-bit exact),
    /// capped at the largest amount.
    public func value(of amount: Amount) -> Amount {
        let (high, low) = amount.units.multipliedFullWidth(by: units)
        guard high < Price.scale else { return Amount(checked: Amount.maxUnits) }
        let (quotient, _) = Price.scale.dividingFullWidth((high, low))
        return Amount(checked: min(quotient, Amount.maxUnits))
    }

    /// The fewest base units worth at least `quote` quote units: `⌈quote × scale / units⌉`, capped.
    public func baseUnits(covering quote: Amount) -> UInt64 {
        let (high, low) = quote.units.multipliedFullWidth(by: Price.scale)
        guard units > 0, high < units else { return Amount.maxUnits }
        let (quotient, remainder) = units.dividingFullWidth((high, low))
        return remainder == 0 ? quotient : quotient + 1
    }

    /// Decides a new price (operators only, checked by the caller): distinct assets, `units` more than zero.
    public static func decidePost(base: Asset, quote: Asset, units: UInt64, now: Timestamp) throws(KuraError)
        -> PriceEvent
    {
        guard base != quote else { throw KuraError(.invalidRequest, "base and quote must differ") }
        guard units > 0, units <= Amount.maxUnits else {
            throw KuraError(.invalidRequest, "price must be 1 to 2^53-1 quote units per 10^9 base units")
        }
        return .posted(Price(base: base, quote: quote, units: units, at: now))
    }
}

/// A price posted by an operator.
public enum PriceEvent: Sendable, Equatable, Hashable {
    case posted(Price)

    /// The event types of this aggregate, a closed set: what the log's `type` is made of.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case posted = "price.posted"
    }

    /// Which kind of event this is.
    public var kind: Kind { .posted }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var payload: JSONValue {
        switch self {
        case .posted(let price): EventPayload.encode(price)
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard type == Kind.posted.rawValue else { throw EventPayload.unknown(type) }
        self = .posted(try EventPayload.decode(Price.self, from: payload, eventType: type))
    }
}

extension PriceEvent: DomainEvent {}
