import KuraCrypto

/// An escrowed payment: the fold of its events (stream `escrow/esc_…`).
///
/// Wire shape: `{id, state, payer, payee, amount, asset, deliverBy, confirmWindowMs, disputeWindowMs,
/// resource?, paymentId?, memo?, lockedAt, deliveredAt?, evidence?, releasedAt?, disputeId?, fee?, closedAt?}`.
public struct Escrow: Sendable, Equatable, Hashable {
    /// Where an escrow is in its life. `released`, `resolved`, `cancelled`, `refunded` and `expired` are terminal.
    public enum State: String, Sendable, Codable, CaseIterable {
        case locked, delivered, released, disputed, resolved, cancelled, refunded, expired

        /// Whether nothing more can happen.
        public var isTerminal: Bool {
            switch self {
            case .locked, .delivered, .disputed: false
            case .released, .resolved, .cancelled, .refunded, .expired: true
            }
        }
    }

    /// The escrow's identifier.
    public let id: EscrowID
    /// The agreed terms.
    public let terms: EscrowTerms
    /// Where it is now.
    public internal(set) var state: State = .locked
    /// When the payee marked delivery.
    public internal(set) var deliveredAt: Timestamp?
    /// The delivery evidence digest (lowercase hex SHA-256).
    public internal(set) var evidence: String?
    /// When the funds went to the payee.
    public internal(set) var releasedAt: Timestamp?
    /// The dispute opened against the delivery, if any.
    public internal(set) var disputeId: DisputeID?
    /// The fee taken on release.
    public internal(set) var fee: Amount?
    /// When it reached a terminal state.
    public internal(set) var closedAt: Timestamp?

    /// A freshly locked escrow; other states come from applying events.
    init(id: EscrowID, terms: EscrowTerms) {
        self.id = id
        self.terms = terms
    }
}

extension Escrow {
    /// What `escrow/<id>/held` holds in `asset`: the amount from the lock until the escrow ends, nothing after.
    public func held(in asset: Asset) -> Int64 {
        !state.isTerminal && terms.asset == asset ? Int64(terms.amount.units) : 0
    }
}

/// What `decide` needs to know beyond the escrow itself, read by KuraService from projections.
public struct EscrowContext: Sendable, Equatable {
    /// The fee rates in force.
    public var fees: FeeSchedule
    /// The payer's available balance in the escrow's asset; only `lock` reads it.
    public var payerAvailable: Amount

    /// Creates a context.
    public init(fees: FeeSchedule = FeeSchedule(), payerAvailable: Amount = .zero) {
        self.fees = fees
        self.payerAvailable = payerAvailable
    }
}

extension Escrow: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, state, payer, payee, amount, asset, deliverBy, confirmWindowMs, disputeWindowMs, resource
        case paymentId, memo, lockedAt, deliveredAt, evidence, releasedAt, disputeId, fee, closedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(state, forKey: .state)
        try c.encode(terms.payer, forKey: .payer)
        try c.encode(terms.payee, forKey: .payee)
        try c.encode(terms.amount, forKey: .amount)
        try c.encode(terms.asset, forKey: .asset)
        try c.encode(terms.deliverBy, forKey: .deliverBy)
        try c.encode(terms.confirmWindowMs, forKey: .confirmWindowMs)
        try c.encode(terms.disputeWindowMs, forKey: .disputeWindowMs)
        try c.encodeIfPresent(terms.resource, forKey: .resource)
        try c.encodeIfPresent(terms.paymentId, forKey: .paymentId)
        try c.encodeIfPresent(terms.memo, forKey: .memo)
        try c.encode(terms.lockedAt, forKey: .lockedAt)
        try c.encodeIfPresent(deliveredAt, forKey: .deliveredAt)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(releasedAt, forKey: .releasedAt)
        try c.encodeIfPresent(disputeId, forKey: .disputeId)
        try c.encodeIfPresent(fee, forKey: .fee)
        try c.encodeIfPresent(closedAt, forKey: .closedAt)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var terms = EscrowTerms(
            payer: try c.decode(PartyID.self, forKey: .payer), payee: try c.decode(PartyID.self, forKey: .payee),
            amount: try c.decode(Amount.self, forKey: .amount), asset: try c.decode(Asset.self, forKey: .asset),
            deliverBy: try c.decode(Timestamp.self, forKey: .deliverBy),
            confirmWindowMs: try c.decode(Int64.self, forKey: .confirmWindowMs),
            disputeWindowMs: try c.decode(Int64.self, forKey: .disputeWindowMs),
            resource: try c.decodeIfPresent(String.self, forKey: .resource),
            paymentId: try c.decodeIfPresent(String.self, forKey: .paymentId),
            memo: try c.decodeIfPresent(String.self, forKey: .memo))
        terms.lockedAt = try c.decode(Timestamp.self, forKey: .lockedAt)
        self.init(id: try c.decode(EscrowID.self, forKey: .id), terms: terms)
        state = try c.decode(State.self, forKey: .state)
        deliveredAt = try c.decodeIfPresent(Timestamp.self, forKey: .deliveredAt)
        evidence = try c.decodeIfPresent(String.self, forKey: .evidence)
        releasedAt = try c.decodeIfPresent(Timestamp.self, forKey: .releasedAt)
        disputeId = try c.decodeIfPresent(DisputeID.self, forKey: .disputeId)
        fee = try c.decodeIfPresent(Amount.self, forKey: .fee)
        closedAt = try c.decodeIfPresent(Timestamp.self, forKey: .closedAt)
    }
}

extension Escrow: CanonicalJSONWritable {
    /// The members of ``encode(to:)`` in canonical order: the writer stores this as the escrow's row and the HTTP
    /// layer answers with it, once per command each (`EscrowCanonicalJSONTests` holds it to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter()
        try json.unsigned("amount", terms.amount.units)
        json.string("asset", terms.asset.name)
        if let closedAt { try json.integer("closedAt", closedAt.milliseconds) }
        try json.integer("confirmWindowMs", terms.confirmWindowMs)
        try json.integer("deliverBy", terms.deliverBy.milliseconds)
        if let deliveredAt { try json.integer("deliveredAt", deliveredAt.milliseconds) }
        if let disputeId { json.string("disputeId", disputeId.rawValue) }
        try json.integer("disputeWindowMs", terms.disputeWindowMs)
        if let evidence { json.string("evidence", evidence) }
        if let fee { try json.unsigned("fee", fee.units) }
        json.string("id", id.rawValue)
        try json.integer("lockedAt", terms.lockedAt.milliseconds)
        if let memo = terms.memo { json.string("memo", memo) }
        json.string("payee", terms.payee.rawValue)
        json.string("payer", terms.payer.rawValue)
        if let paymentId = terms.paymentId { json.string("paymentId", paymentId) }
        if let releasedAt { try json.integer("releasedAt", releasedAt.milliseconds) }
        if let resource = terms.resource { json.string("resource", resource) }
        json.string("state", state.rawValue)
        return json.finish()
    }
}
