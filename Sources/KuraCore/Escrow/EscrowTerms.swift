/// What payer and payee agreed when the funds were locked. Fixed for the life of the escrow.
public struct EscrowTerms: Sendable, Equatable, Hashable, Codable {
    /// One day: how long the payer has to confirm a delivery before it is released automatically.
    public static let defaultConfirmWindowMs: Int64 = 86_400_000
    /// Longest memo, in Unicode scalars.
    public static let maxMemoLength = 500
    /// Longest x402 resource (a URL).
    public static let maxResourceLength = 2048
    /// Longest payment id.
    public static let maxPaymentIdLength = 256
    /// Times and windows must fit in a JSON number exactly, like amounts.
    static let maxExactInteger: Int64 = (1 << 53) - 1

    /// Who pays.
    public var payer: PartyID
    /// Who is paid on release.
    public var payee: PartyID
    /// How much is held; more than zero.
    public var amount: Amount
    /// In what.
    public var asset: Asset
    /// The payee must deliver by this time (inclusive).
    public var deliverBy: Timestamp
    /// After delivery, the payer has this long to confirm or dispute before auto-release.
    public var confirmWindowMs: Int64
    /// After delivery, the payer may dispute for this long; `0 < disputeWindowMs ≤ confirmWindowMs`.
    public var disputeWindowMs: Int64
    /// The x402 resource paid for, if any.
    public var resource: String?
    /// The x402 payment id, if any.
    public var paymentId: String?
    /// A note for people, at most 500 characters.
    public var memo: String?
    /// When the funds were locked. Set by ``Escrow/decideLock(id:terms:by:now:context:)``, not by the caller.
    public internal(set) var lockedAt: Timestamp = Timestamp(milliseconds: 0)

    /// Proposed terms; `disputeWindowMs` defaults to the confirm window. Checked by `decideLock`, not here,
    /// so terms read back from the log are never refused by a rule added later.
    public init(
        payer: PartyID, payee: PartyID, amount: Amount, asset: Asset, deliverBy: Timestamp,
        confirmWindowMs: Int64 = EscrowTerms.defaultConfirmWindowMs, disputeWindowMs: Int64? = nil,
        resource: String? = nil, paymentId: String? = nil, memo: String? = nil
    ) {
        self.payer = payer
        self.payee = payee
        self.amount = amount
        self.asset = asset
        self.deliverBy = deliverBy
        self.confirmWindowMs = confirmWindowMs
        self.disputeWindowMs = disputeWindowMs ?? confirmWindowMs
        self.resource = resource
        self.paymentId = paymentId
        self.memo = memo
    }

    /// Checks every value rule for terms proposed at `now`; throws `invalid_request` naming the first broken one.
    public func validate(now: Timestamp) throws(KuraError) {
        func refuse(_ why: String) -> KuraError { KuraError(.invalidRequest, why) }
        guard payee != payer else { throw refuse("payee must differ from payer") }
        guard amount.units > 0 else { throw refuse("amount must be more than zero") }
        guard deliverBy.milliseconds <= Self.maxExactInteger else { throw refuse("deliverBy is out of range") }
        guard deliverBy > now else { throw refuse("deliverBy \(deliverBy) is not after now \(now)") }
        guard confirmWindowMs > 0, confirmWindowMs <= Self.maxExactInteger else {
            throw refuse("confirmWindowMs must be between 1 and 2^53-1")
        }
        guard disputeWindowMs > 0, disputeWindowMs <= confirmWindowMs else {
            throw refuse("disputeWindowMs must be more than 0 and at most confirmWindowMs")
        }
        if let memo, !TextRules.isPlainText(memo, max: Self.maxMemoLength) {
            throw refuse("memo must be at most \(Self.maxMemoLength) characters without control characters")
        }
        if let resource, resource.isEmpty || !TextRules.isPlainText(resource, max: Self.maxResourceLength) {
            throw refuse("resource must be 1 to \(Self.maxResourceLength) characters without control characters")
        }
        if let paymentId, paymentId.isEmpty || !TextRules.isPlainText(paymentId, max: Self.maxPaymentIdLength) {
            throw refuse("paymentId must be 1 to \(Self.maxPaymentIdLength) characters without control characters")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case payer, payee, amount, asset, deliverBy, confirmWindowMs, disputeWindowMs, resource, paymentId, memo,
            lockedAt
    }

    /// Windows and `lockedAt` may be absent (defaults apply), so a request body can be decoded as terms.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let confirm = try c.decodeIfPresent(Int64.self, forKey: .confirmWindowMs) ?? Self.defaultConfirmWindowMs
        self.init(
            payer: try c.decode(PartyID.self, forKey: .payer), payee: try c.decode(PartyID.self, forKey: .payee),
            amount: try c.decode(Amount.self, forKey: .amount), asset: try c.decode(Asset.self, forKey: .asset),
            deliverBy: try c.decode(Timestamp.self, forKey: .deliverBy), confirmWindowMs: confirm,
            disputeWindowMs: try c.decodeIfPresent(Int64.self, forKey: .disputeWindowMs),
            resource: try c.decodeIfPresent(String.self, forKey: .resource),
            paymentId: try c.decodeIfPresent(String.self, forKey: .paymentId),
            memo: try c.decodeIfPresent(String.self, forKey: .memo))
        lockedAt = try c.decodeIfPresent(Timestamp.self, forKey: .lockedAt) ?? Timestamp(milliseconds: 0)
    }
}
