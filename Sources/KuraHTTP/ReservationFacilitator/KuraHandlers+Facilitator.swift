import HTTPTypes
import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

/// The x402 extension metadata headers of the facilitator's answers.
enum FacilitatorHeader {
    /// `enterprise` or `crypto-fast`.
    static let lane = HTTPField.Name("Kura-Lane")!
    /// `reserved`, `settled` or `voided`.
    static let reservationState = HTTPField.Name("Kura-Reservation-State")!
    /// The `evt_…` ID of the settlement event, once there is one.
    static let billableEvent = HTTPField.Name("Kura-Billable-Event")!
}

extension KuraHandlers {
    func respondFacilitator(to endpoint: Endpoint, _ call: Call) async throws(KuraError) -> Response {
        let key = try call.idempotencyKey
        let principal = call.principal
        switch endpoint {
        case .verify:
            let reply = try await service.verify(
                ReservationVerifyRequest.decode(call.json()), by: principal, idempotencyKey: key)
            return try Self.withFacilitatorHeaders(
                JSONResponse.make(reply), lane: reply.value.lane, state: .reserved, billable: nil)
        case .settle:
            let reply = try await service.settle(
                ReservationSettleRequest.decode(call.json()), by: principal, idempotencyKey: key)
            return try Self.withFacilitatorHeaders(
                JSONResponse.make(reply), lane: reply.value.lane, state: .settled, billable: reply.value.billableEventId
            )
        case .showReservation:
            let reservation = try await service.reservation(call.id("id", as: ReservationID.self), by: principal)
            return try Self.withFacilitatorHeaders(
                JSONResponse.make(reservation), lane: reservation.lane, state: reservation.state, billable: nil)
        default:
            throw KuraError(.internalError, "\(endpoint) is not a facilitator route")
        }
    }

    static func withFacilitatorHeaders(
        _ response: Response, lane: Lane, state: Reservation.State, billable: EventID?
    ) -> Response {
        var response = response
        response.headers[FacilitatorHeader.lane] = lane.rawValue
        response.headers[FacilitatorHeader.reservationState] = state.rawValue
        if let billable { response.headers[FacilitatorHeader.billableEvent] = billable.rawValue }
        return response
    }
}
