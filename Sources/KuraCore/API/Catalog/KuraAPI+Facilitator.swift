extension KuraAPI {
    /// `POST /v1/mandates`: an enterprise agent prefunds a mandate from its available balance. 201.
    public static let createMandate = KuraOperation<NoPath, NoQuery, CreateMandateRequest, Mandate>.post(
        "createMandate", "/v1/mandates",
        problems: [.forbidden, .notFound, .idempotencyConflict, .insufficientFunds, .partyInactive],
        location: { "/v1/mandates/\($0.id)" })

    /// `GET /v1/mandates/{id}`: for its agent and operators.
    public static let showMandate = KuraOperation<MandateID, NoQuery, EmptyRequest, Mandate>.get(
        "showMandate", "/v1/mandates/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/mandates/{id}/top-up`: the agent adds funds.
    public static let topUpMandate = KuraOperation<MandateID, NoQuery, AmountRequest, Mandate>.post(
        "topUpMandate", "/v1/mandates/{id}/top-up",
        problems: [.forbidden, .notFound, .idempotencyConflict, .mandateInactive, .insufficientFunds])

    /// `POST /v1/mandates/{id}/revoke`: the agent or an operator stops it; the remainder goes back.
    public static let revokeMandate = KuraOperation<MandateID, NoQuery, EmptyRequest, Mandate>.post(
        "revokeMandate", "/v1/mandates/{id}/revoke",
        problems: [.forbidden, .notFound, .idempotencyConflict, .mandateInactive])

    /// `POST /v1/positions`: a crypto-fast agent locks collateral and opens a credit line. 201.
    public static let openPosition = KuraOperation<NoPath, NoQuery, OpenPositionRequest, Position>.post(
        "openPosition", "/v1/positions",
        problems: [.forbidden, .notFound, .idempotencyConflict, .insufficientFunds, .priceUnavailable],
        location: { "/v1/positions/\($0.id)" })

    /// `GET /v1/positions/{id}`: for its agent and operators.
    public static let showPosition = KuraOperation<PositionID, NoQuery, EmptyRequest, Position>.get(
        "showPosition", "/v1/positions/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/positions/{id}/repay`: the agent pays down what it owes.
    public static let repayPosition = KuraOperation<PositionID, NoQuery, AmountRequest, Position>.post(
        "repayPosition", "/v1/positions/{id}/repay",
        problems: [.forbidden, .notFound, .idempotencyConflict, .positionInactive, .insufficientFunds])

    /// `POST /v1/positions/{id}/liquidate`: an operator sells a frozen position's collateral to cover its debt.
    public static let liquidatePosition = KuraOperation<PositionID, NoQuery, EmptyRequest, Position>.post(
        "liquidatePosition", "/v1/positions/{id}/liquidate", access: .operator,
        problems: [.forbidden, .notFound, .idempotencyConflict, .positionInactive, .priceUnavailable])

    /// `POST /v1/positions/{id}/close`: the agent takes its collateral back; nothing may be owed or reserved.
    public static let closePosition = KuraOperation<PositionID, NoQuery, EmptyRequest, Position>.post(
        "closePosition", "/v1/positions/{id}/close",
        problems: [.forbidden, .notFound, .idempotencyConflict, .positionInactive])

    /// `POST /v1/prices`: an operator posts a collateral price; positions of that pair freeze or unfreeze.
    public static let postPrice = KuraOperation<NoPath, NoQuery, PostPriceRequest, PriceUpdate>.post(
        "postPrice", "/v1/prices", access: .operator, problems: [.forbidden, .idempotencyConflict])

    /// `GET /v1/prices`: every posted price.
    public static let listPrices = KuraOperation<NoPath, NoQuery, EmptyRequest, PriceList>.get(
        "listPrices", "/v1/prices", problems: [])

    /// `POST /x402/verify`: reserves an amount against a mandate (enterprise lane) or a position (crypto-fast)
    /// and answers the signed decision envelope; `Kura-Lane` and `Kura-Reservation-State` headers.
    public static let verifyReservation = KuraOperation<
        NoPath, NoQuery, ReservationVerifyRequest, ReservationVerifyResponse
    >.post(
        "verify", "/x402/verify",
        problems: [
            .forbidden, .notFound, .idempotencyConflict, .capExceeded, .mandateExhausted, .mandateInactive,
            .creditExceeded, .positionFrozen, .positionInactive, .priceUnavailable, .insufficientFunds,
        ])

    /// `POST /x402/settle`: executes a reservation exactly once (a repeat answers the first settlement with
    /// `idempotent: true`); the `Kura-Billable-Event` header names what to bill against.
    public static let settleReservation = KuraOperation<
        NoPath, NoQuery, ReservationSettleRequest, ReservationSettleResponse
    >.post(
        "settle", "/x402/settle",
        problems: [
            .forbidden, .reservationNotFound, .idempotencyConflict, .reservationExpired, .reservationVoided,
            .envelopeInvalid, .envelopeMismatch, .laneMismatch,
        ])

    /// `GET /v1/reservations/{id}`: a reservation, for its agent, its counterparty and operators.
    public static let showReservation = KuraOperation<ReservationID, NoQuery, EmptyRequest, Reservation>.get(
        "showReservation", "/v1/reservations/{id}", problems: [.forbidden, .notFound])

    /// The reservation facilitator's operations: mandates, positions, prices, verify, settle and reservations.
    static let facilitator: [any KuraOperationDescription] = [
        createMandate, showMandate, topUpMandate, revokeMandate, openPosition, showPosition, repayPosition,
        liquidatePosition, closePosition, postPrice, listPrices, verifyReservation, settleReservation,
        showReservation,
    ]
}

/// The answer to `GET /v1/prices`: `{items}`.
public struct PriceList: Codable, Sendable, Equatable {
    public var items: [Price]
    public init(items: [Price]) { self.items = items }
}
