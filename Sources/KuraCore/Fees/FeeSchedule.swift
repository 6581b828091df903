/// Kura's fees in basis points (1 bp = 0.01 %), configured by the operator.
///
/// Fees are rounded down, so the payee never receives less than the exact share and every unit is
/// accounted for: `net + fee == amount`.
public struct FeeSchedule: Sendable, Codable, Equatable, Hashable {
    /// 10 000 bps: the whole amount.
    public static let maxBasisPoints: UInt64 = 10_000

    /// Taken from an escrow when it is released to the payee.
    public private(set) var escrowBps: UInt64 = 50
    /// Taken when the facilitator settles an x402 payment.
    public private(set) var settlementBps: UInt64 = 10
    /// Taken when a dispute is resolved, by ruling or by the default split when no ruling came, before the rest is
    /// split (Docs/disputes.md).
    public private(set) var disputeBps: UInt64 = 100

    /// The defaults: escrow 50 bps, settlement 10 bps, dispute 100 bps.
    public init() {}

    /// A schedule with each rate checked to be at most 10 000 bps, so a fee never exceeds its amount.
    public init(escrowBps: UInt64, settlementBps: UInt64, disputeBps: UInt64) throws(KuraError) {
        for (name, bps) in [("escrowBps", escrowBps), ("settlementBps", settlementBps), ("disputeBps", disputeBps)]
        where bps > Self.maxBasisPoints {
            throw KuraError(.invalidRequest, "\(name) is \(bps), above the maximum 10000")
        }
        self.escrowBps = escrowBps
        self.settlementBps = settlementBps
        self.disputeBps = disputeBps
    }

    /// Splits `amount` into what the recipient gets and the fee, `amount × bps / 10000` rounded down.
    /// Rates above 10 000 bps are treated as 10 000, so `net + fee == amount` always holds.
    public static func split(_ amount: Amount, basisPoints bps: UInt64) -> (net: Amount, fee: Amount) {
        let fee = amount.basisPoints(min(bps, maxBasisPoints))
        return (Amount(checked: amount.units - fee.units), fee)
    }

    /// The split of an escrow release.
    public func escrowSplit(_ amount: Amount) -> (net: Amount, fee: Amount) {
        Self.split(amount, basisPoints: escrowBps)
    }
    /// The split of a facilitator settlement.
    public func settlementSplit(_ amount: Amount) -> (net: Amount, fee: Amount) {
        Self.split(amount, basisPoints: settlementBps)
    }
    /// The split of a ruling.
    public func disputeSplit(_ amount: Amount) -> (net: Amount, fee: Amount) {
        Self.split(amount, basisPoints: disputeBps)
    }

    private enum CodingKeys: String, CodingKey { case escrowBps, settlementBps, disputeBps }

    /// Missing rates take their defaults, so a configuration file may name only what it changes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                escrowBps: c.decodeIfPresent(UInt64.self, forKey: .escrowBps) ?? 50,
                settlementBps: c.decodeIfPresent(UInt64.self, forKey: .settlementBps) ?? 10,
                disputeBps: c.decodeIfPresent(UInt64.self, forKey: .disputeBps) ?? 100)
        } catch let error as KuraError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }
}
