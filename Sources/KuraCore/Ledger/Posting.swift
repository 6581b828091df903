/// One double-entry movement: `amount` of `asset` leaves `from` and arrives in `to`.
///
/// Every money-moving event carries its postings, so the ledger is a projection of the log.
public struct Posting: Codable, Sendable, Equatable, Hashable {
    /// The account debited.
    public var from: AccountName
    /// The account credited.
    public var to: AccountName
    /// What moves.
    public var asset: Asset
    /// How much moves.
    public var amount: Amount

    /// Creates a posting.
    public init(from: AccountName, to: AccountName, asset: Asset, amount: Amount) {
        self.from = from
        self.to = to
        self.asset = asset
        self.amount = amount
    }

    /// Money entering Kura for `party`.
    public static func deposit(to party: PartyID, asset: Asset, amount: Amount) -> Posting {
        Posting(from: .external, to: .available(party), asset: asset, amount: amount)
    }

    /// Money leaving Kura from `party`.
    public static func withdrawal(from party: PartyID, asset: Asset, amount: Amount) -> Posting {
        Posting(from: .available(party), to: .external, asset: asset, amount: amount)
    }
}
