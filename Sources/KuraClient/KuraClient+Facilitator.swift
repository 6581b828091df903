import AsyncHTTPClient
import KuraCore
import KuraCrypto
import Synchronization

/// The envelopes a client received from verify, by reservation, so a caller can settle by ID alone.
final class EnvelopeStore: Sendable {
    private let envelopes = Mutex<[ReservationID: String]>([:])

    func keep(_ envelope: String, for reservation: ReservationID) {
        envelopes.withLock { $0[reservation] = envelope }
    }

    func envelope(for reservation: ReservationID) -> String? { envelopes.withLock { $0[reservation] } }
}

extension KuraClient {
    /// `POST /x402/verify`: reserves the payment and keeps its envelope for ``settle(_:lane:)``.
    public func verify(_ request: ReservationVerifyRequest, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> ReservationVerifyResponse
    {
        let answer = try await perform(KuraAPI.verifyReservation, request, idempotencyKey: idempotencyKey)
        envelopes.keep(answer.envelope, for: answer.reservationId)
        return answer
    }

    /// The envelope this client received for `reservation`, if it verified it.
    public func envelope(for reservation: ReservationID) -> String? { envelopes.envelope(for: reservation) }

    /// `POST /x402/settle` with the envelope kept from ``verify(_:idempotencyKey:)``. Safe to retry and to repeat:
    /// the Idempotency-Key is derived from the reservation, and the server settles a reservation once (a repeat
    /// answers the first result with `idempotent: true`). Errors are classified: `retryable` (transport, 5xx),
    /// `refused` (e.g. `reservation_expired` 410, `lane_mismatch` 409, `unknown_key` 422), `invalid`
    /// (`envelope_invalid` 400, or no envelope kept for this reservation).
    public func settle(_ reservation: ReservationID, lane: Lane? = nil) async throws(KuraClientError)
        -> ReservationSettleResponse
    {
        guard let envelope = envelopes.envelope(for: reservation) else {
            throw KuraClientError(
                kind: .invalid, status: nil, code: "envelope_invalid",
                detail: "this client holds no envelope for \(reservation); pass the one from verify")
        }
        return try await settle(reservation, envelope: envelope, lane: lane)
    }

    /// `POST /x402/settle` with an envelope received elsewhere (e.g. from the paying agent).
    public func settle(_ reservation: ReservationID, envelope: String, lane: Lane? = nil)
        async throws(KuraClientError) -> ReservationSettleResponse
    {
        let request = ReservationSettleRequest(reservationId: reservation, envelope: envelope, lane: lane)
        return try await perform(KuraAPI.settleReservation, request, idempotencyKey: "settle-\(reservation)")
    }

    /// `GET /v1/reservations/{id}`.
    public func reservation(_ id: ReservationID) async throws(KuraClientError) -> Reservation {
        try await perform(KuraAPI.showReservation, at: id)
    }

    /// `GET /.well-known/jwks.json`: the keys that verify envelopes. JSON, deliberately open: a key's members
    /// depend on its type and RFC 7517 lets a set carry ones a reader does not know; it goes to a JOSE library
    /// as it came.
    public func jwks() async throws(KuraClientError) -> JSONValue {
        try await perform(KuraAPI.jwks, at: NoPath()).json
    }

    /// `POST /v1/mandates`.
    public func createMandate(_ request: CreateMandateRequest, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Mandate
    {
        try await perform(KuraAPI.createMandate, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/mandates/{id}`.
    public func mandate(_ id: MandateID) async throws(KuraClientError) -> Mandate {
        try await perform(KuraAPI.showMandate, at: id)
    }

    /// `POST /v1/mandates/{id}/top-up`.
    public func topUpMandate(_ id: MandateID, amount: Amount, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Mandate
    {
        try await perform(KuraAPI.topUpMandate, at: id, AmountRequest(amount: amount), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/mandates/{id}/revoke`.
    public func revokeMandate(_ id: MandateID, idempotencyKey: String? = nil) async throws(KuraClientError) -> Mandate {
        try await perform(KuraAPI.revokeMandate, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/positions`.
    public func openPosition(_ request: OpenPositionRequest, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Position
    {
        try await perform(KuraAPI.openPosition, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/positions/{id}`.
    public func position(_ id: PositionID) async throws(KuraClientError) -> Position {
        try await perform(KuraAPI.showPosition, at: id)
    }

    /// `POST /v1/positions/{id}/repay` (``KuraAPI/repayPosition``): the agent pays down what it owes.
    public func repayPosition(_ id: PositionID, amount: Amount, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Position
    {
        try await perform(KuraAPI.repayPosition, at: id, AmountRequest(amount: amount), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/positions/{id}/liquidate` (``KuraAPI/liquidatePosition``; operators).
    public func liquidatePosition(_ id: PositionID, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> Position
    {
        try await perform(KuraAPI.liquidatePosition, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/positions/{id}/close` (``KuraAPI/closePosition``).
    public func closePosition(_ id: PositionID, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> Position
    {
        try await perform(KuraAPI.closePosition, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/prices` (operators).
    public func postPrice(_ request: PostPriceRequest, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> PriceUpdate
    {
        try await perform(KuraAPI.postPrice, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/prices`.
    public func prices() async throws(KuraClientError) -> [Price] {
        try await perform(KuraAPI.listPrices, query: NoQuery()).items
    }
}
