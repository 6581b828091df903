import KuraCrypto

/// `POST /x402/verify`: reserve a payment from `agent` to `counterparty` on a lane.
public struct ReservationVerifyRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = [
        "amount", "asset", "lane", "mandate", "collateral", "agent", "counterparty", "resource", "paymentId",
    ]
    public var amount: Amount
    /// Defaults to the mandate's or position's asset; when given it must match.
    public var asset: Asset?
    public var lane: Lane
    /// The mandate to draw on (enterprise).
    public var mandate: MandateID?
    /// The collateral position to draw on (crypto-fast).
    public var collateral: PositionID?
    public var agent: PartyID
    public var counterparty: PartyID
    public var resource: String?
    public var paymentId: String?

    public init(
        amount: Amount, asset: Asset? = nil, lane: Lane, mandate: MandateID? = nil, collateral: PositionID? = nil,
        agent: PartyID, counterparty: PartyID, resource: String? = nil, paymentId: String? = nil
    ) {
        self.amount = amount
        self.asset = asset
        self.lane = lane
        self.mandate = mandate
        self.collateral = collateral
        self.agent = agent
        self.counterparty = counterparty
        self.resource = resource
        self.paymentId = paymentId
    }
}

/// The answer to a verify: the reservation and its signed decision envelope.
public struct ReservationVerifyResponse: Codable, Sendable, Equatable {
    public var reservationId: ReservationID
    /// The JWS compact serialisation of the decision; settle needs it back.
    public var envelope: String
    public var approvedAmount: Amount
    public var expiresAt: Timestamp
    public var lane: Lane

    public init(
        reservationId: ReservationID, envelope: String, approvedAmount: Amount, expiresAt: Timestamp, lane: Lane
    ) {
        self.reservationId = reservationId
        self.envelope = envelope
        self.approvedAmount = approvedAmount
        self.expiresAt = expiresAt
        self.lane = lane
    }
}

extension ReservationVerifyResponse: CanonicalJSONWritable {
    /// The members of the `Encodable` form in canonical order: the answer to every verify
    /// (`FacilitatorResponseCanonicalTests` holds them to it).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 160 + envelope.utf8.count)
        try json.unsigned("approvedAmount", approvedAmount.units)
        json.string("envelope", envelope)
        try json.integer("expiresAt", expiresAt.milliseconds)
        json.string("lane", lane.rawValue)
        json.string("reservationId", reservationId.rawValue)
        return json.finish()
    }
}

/// `POST /x402/settle`: execute a reservation, exactly once.
public struct ReservationSettleRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["reservationId", "envelope", "lane"]
    public var reservationId: ReservationID
    public var envelope: String
    /// When given, the lane the caller expects; another lane is `lane_mismatch`.
    public var lane: Lane?

    public init(reservationId: ReservationID, envelope: String, lane: Lane? = nil) {
        self.reservationId = reservationId
        self.envelope = envelope
        self.lane = lane
    }
}

/// The answer to a settle. `idempotent` is true when the reservation had already settled: this is the first
/// settle's result, unchanged.
public struct ReservationSettleResponse: Codable, Sendable, Equatable {
    /// The rail's proof: base58 of Kura's Ed25519 signature over the settlement record.
    public var txSignature: String
    /// The `evt_…` ID of the `reservation.settled` event: what to bill against.
    public var billableEventId: EventID
    public var settledAt: Timestamp
    public var amount: Amount
    public var lane: Lane
    public var idempotent: Bool

    public init(
        txSignature: String, billableEventId: EventID, settledAt: Timestamp, amount: Amount, lane: Lane,
        idempotent: Bool
    ) {
        self.txSignature = txSignature
        self.billableEventId = billableEventId
        self.settledAt = settledAt
        self.amount = amount
        self.lane = lane
        self.idempotent = idempotent
    }
}

/// `POST /v1/mandates`: the terms themselves.
public typealias CreateMandateRequest = MandateTerms

extension MandateTerms: StrictRequest {
    public static let fields: Set<String> = [
        "agent", "asset", "amount", "perTxCap", "dailyCap", "allowedCounterparties", "expiresAt",
    ]
}

/// `POST /v1/mandates/{id}/top-up` and `POST /v1/positions/{id}/repay`.
public struct AmountRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["amount"]
    public var amount: Amount
    public init(amount: Amount) { self.amount = amount }
}

/// `POST /v1/positions`: lock collateral and open a credit line in `asset`.
public struct OpenPositionRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["agent", "collateralAsset", "collateral", "asset", "singlePaymentCap"]
    public var agent: PartyID
    public var collateralAsset: Asset
    /// Collateral units to lock.
    public var collateral: Amount
    /// The asset payments are made in.
    public var asset: Asset
    public var singlePaymentCap: Amount

    public init(agent: PartyID, collateralAsset: Asset, collateral: Amount, asset: Asset, singlePaymentCap: Amount) {
        self.agent = agent
        self.collateralAsset = collateralAsset
        self.collateral = collateral
        self.asset = asset
        self.singlePaymentCap = singlePaymentCap
    }
}

/// `POST /v1/prices` (operators): `price` quote units per 10^9 base units.
public struct PostPriceRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["base", "quote", "price"]
    public var base: Asset
    public var quote: Asset
    public var price: UInt64

    public init(base: Asset, quote: Asset, price: UInt64) {
        self.base = base
        self.quote = quote
        self.price = price
    }
}

/// The answer to a price post: the price and the positions it froze or unfroze.
public struct PriceUpdate: Codable, Sendable, Equatable {
    public var price: Price
    public var frozen: [PositionID]
    public var unfrozen: [PositionID]

    public init(price: Price, frozen: [PositionID], unfrozen: [PositionID]) {
        self.price = price
        self.frozen = frozen
        self.unfrozen = unfrozen
    }
}

extension ReservationVerifyRequest: CanonicalJSONWritable {
    /// The members of the `Encodable` form in canonical order: a verify hashes these bytes (its request hash, its
    /// command) once per request (`ReservationPayloadTests` holds them to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 192)
        json.string("agent", agent.rawValue)
        try json.unsigned("amount", amount.units)
        if let asset { json.string("asset", asset.name) }
        if let collateral { json.string("collateral", collateral.rawValue) }
        json.string("counterparty", counterparty.rawValue)
        json.string("lane", lane.rawValue)
        if let mandate { json.string("mandate", mandate.rawValue) }
        if let paymentId { json.string("paymentId", paymentId) }
        if let resource { json.string("resource", resource) }
        return json.finish()
    }
}

extension ReservationSettleRequest: CanonicalJSONWritable {
    /// The members of the `Encodable` form in canonical order, the bytes a settle's command is made of
    /// (`ReservationPayloadTests` holds them to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 384)
        json.string("envelope", envelope)
        if let lane { json.string("lane", lane.rawValue) }
        json.string("reservationId", reservationId.rawValue)
        return json.finish()
    }
}

extension ReservationSettleResponse: CanonicalJSONWritable {
    /// The members in canonical order: the writer stores this beside the reservation's row on every settle, for
    /// the idempotent replay (`ReservationPayloadTests` holds it to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 256)
        try json.unsigned("amount", amount.units)
        json.string("billableEventId", billableEventId.rawValue)
        json.bool("idempotent", idempotent)
        json.string("lane", lane.rawValue)
        try json.integer("settledAt", settledAt.milliseconds)
        json.string("txSignature", txSignature)
        return json.finish()
    }
}
