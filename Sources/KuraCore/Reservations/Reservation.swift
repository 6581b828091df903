import KuraCrypto

/// A facilitator reservation: funds held between verify and settle (stream `reservation/res_…`).
///
/// `reserved` → `settled` (paid to the counterparty less the settlement fee, exactly once) or `voided`
/// (expired and swept, or voided when its position was liquidated; the hold goes back). Wire shape:
/// `{id, state, lane, mandateId?, positionId?, agent, counterparty, amount, asset, requestHash, resource?,
/// paymentId?, issuedAt, expiresAt, settledAt?, txSignature?, fee?, voidedAt?, voidReason?}`.
public struct Reservation: Sendable, Equatable, Hashable, Codable {
    /// Where a reservation is. `settled` and `voided` are terminal.
    public enum State: String, Sendable, Codable, CaseIterable {
        case reserved, settled, voided
    }

    /// Why a reservation was voided.
    public enum VoidReason: String, Sendable, Codable, CaseIterable {
        /// `expiresAt` passed without a settle; the sweeper released the hold.
        case expired
        /// Its position was liquidated before it settled.
        case liquidated
    }

    public let id: ReservationID
    public internal(set) var state: State
    public let lane: Lane
    /// The mandate drawn on (enterprise lane).
    public let mandateId: MandateID?
    /// The position drawn on (crypto-fast lane).
    public let positionId: PositionID?
    /// Who pays.
    public let agent: PartyID
    /// Who is paid on settle.
    public let counterparty: PartyID
    public let amount: Amount
    public let asset: Asset
    /// Lowercase hex SHA-256 of the verify request's canonical JSON.
    public let requestHash: String
    /// The x402 resource paid for, if named.
    public let resource: String?
    /// The x402 payment id, if named.
    public let paymentId: String?
    public let issuedAt: Timestamp
    /// Settle must come before this time; from it on the reservation is expired.
    public let expiresAt: Timestamp
    public internal(set) var settledAt: Timestamp?
    /// The settlement's proof on its rail (base58 of Kura's signature on the built-in ledger rail).
    public internal(set) var txSignature: String?
    /// The settlement fee taken.
    public internal(set) var fee: Amount?
    public internal(set) var voidedAt: Timestamp?
    public internal(set) var voidReason: VoidReason?

    /// A fresh reservation; later states come from applying events.
    public init(
        id: ReservationID, lane: Lane, mandateId: MandateID?, positionId: PositionID?, agent: PartyID,
        counterparty: PartyID, amount: Amount, asset: Asset, requestHash: String, resource: String?,
        paymentId: String?, issuedAt: Timestamp, expiresAt: Timestamp
    ) {
        self.id = id
        self.state = .reserved
        self.lane = lane
        self.mandateId = mandateId
        self.positionId = positionId
        self.agent = agent
        self.counterparty = counterparty
        self.amount = amount
        self.asset = asset
        self.requestHash = requestHash
        self.resource = resource
        self.paymentId = paymentId
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// The account the hold came from, and goes back to on void: the mandate's funds or the position's debt.
    public var source: AccountName {
        if let positionId { return .positionDebt(positionId) }
        if let mandateId { return .mandateFunds(mandateId) }
        return .available(agent)
    }

    /// The signed decision of this reservation, the payload of its envelope.
    public var decision: ReservationDecision {
        ReservationDecision(
            reservation: id, agent: agent, counterparty: counterparty, lane: lane, amount: amount, asset: asset,
            requestHash: requestHash, issuedAt: issuedAt, expiresAt: expiresAt)
    }
}

/// What Kura decided at verify, signed into the envelope: `{v, reservation, agent, counterparty, lane, amount,
/// asset, requestHash, issuedAt, expiresAt}` as RFC 8785 canonical JSON.
public struct ReservationDecision: Sendable, Equatable, Hashable, Codable {
    /// The decision format version.
    public static let version = 1

    public var v: Int = ReservationDecision.version
    public var reservation: ReservationID
    public var agent: PartyID
    public var counterparty: PartyID
    public var lane: Lane
    public var amount: Amount
    public var asset: Asset
    /// Lowercase hex SHA-256 of the verify request's canonical JSON.
    public var requestHash: String
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp

    public init(
        reservation: ReservationID, agent: PartyID, counterparty: PartyID, lane: Lane, amount: Amount, asset: Asset,
        requestHash: String, issuedAt: Timestamp, expiresAt: Timestamp
    ) {
        self.reservation = reservation
        self.agent = agent
        self.counterparty = counterparty
        self.lane = lane
        self.amount = amount
        self.asset = asset
        self.requestHash = requestHash
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

extension Reservation: CanonicalJSONWritable {
    /// The synthesized `Encodable` form's members in canonical order: the writer stores this as the reservation's
    /// row on every verify and settle (`ReservationCanonicalJSONTests` holds it to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try write(CanonicalObjectWriter.self) }

    /// The members, for either form (`reservation.reserved` carries the reservation as a JSON value as well).
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 512)
        json.string("agent", agent.rawValue)
        try json.unsigned("amount", amount.units)
        json.string("asset", asset.name)
        json.string("counterparty", counterparty.rawValue)
        try json.integer("expiresAt", expiresAt.milliseconds)
        if let fee { try json.unsigned("fee", fee.units) }
        json.string("id", id.rawValue)
        try json.integer("issuedAt", issuedAt.milliseconds)
        json.string("lane", lane.rawValue)
        if let mandateId { json.string("mandateId", mandateId.rawValue) }
        if let paymentId { json.string("paymentId", paymentId) }
        if let positionId { json.string("positionId", positionId.rawValue) }
        json.string("requestHash", requestHash)
        if let resource { json.string("resource", resource) }
        if let settledAt { try json.integer("settledAt", settledAt.milliseconds) }
        json.string("state", state.rawValue)
        if let txSignature { json.string("txSignature", txSignature) }
        if let voidReason { json.string("voidReason", voidReason.rawValue) }
        if let voidedAt { try json.integer("voidedAt", voidedAt.milliseconds) }
        return json.finish()
    }
}

extension ReservationDecision: CanonicalJSONWritable {
    /// The members in canonical order: the bytes an envelope signs on every verify (`ReservationCanonicalJSONTests`
    /// holds them to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter()
        json.string("agent", agent.rawValue)
        try json.unsigned("amount", amount.units)
        json.string("asset", asset.name)
        json.string("counterparty", counterparty.rawValue)
        try json.integer("expiresAt", expiresAt.milliseconds)
        try json.integer("issuedAt", issuedAt.milliseconds)
        json.string("lane", lane.rawValue)
        json.string("requestHash", requestHash)
        json.string("reservation", reservation.rawValue)
        try json.integer("v", Int64(v))
        return json.finish()
    }
}

extension Reservation {
    /// What `reservation/<id>/held` holds in `asset`: the amount while reserved, nothing once settled or voided.
    public func held(in asset: Asset) -> Int64 {
        state == .reserved && self.asset == asset ? Int64(amount.units) : 0
    }
}
