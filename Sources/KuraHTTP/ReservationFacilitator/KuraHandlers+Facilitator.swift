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
        case .createMandate:
            let reply = try await service.createMandate(
                CreateMandateRequest.decode(call.json()), by: principal, idempotencyKey: key)
            return try JSONResponse.make(reply, created: "/v1/mandates/\(reply.value.id)")
        case .showMandate:
            return try await JSONResponse.make(service.mandate(call.id("id", as: MandateID.self), by: principal))
        case .topUpMandate:
            let amount = try AmountRequest.decode(call.json()).amount
            return try JSONResponse.make(
                await service.changeMandate(
                    call.id("id", as: MandateID.self), .topUp(amount), by: principal, idempotencyKey: key))
        case .revokeMandate:
            _ = try EmptyRequest.decode(call.json())
            return try JSONResponse.make(
                await service.changeMandate(
                    call.id("id", as: MandateID.self), .revoke, by: principal, idempotencyKey: key))
        case .openPosition:
            let reply = try await service.openPosition(
                OpenPositionRequest.decode(call.json()), by: principal, idempotencyKey: key)
            return try JSONResponse.make(reply, created: "/v1/positions/\(reply.value.id)")
        case .showPosition:
            return try await JSONResponse.make(service.position(call.id("id", as: PositionID.self), by: principal))
        case .repayPosition:
            let amount = try AmountRequest.decode(call.json()).amount
            return try JSONResponse.make(
                await service.actOnPosition(
                    call.id("id", as: PositionID.self), .repay, amount: amount, by: principal, idempotencyKey: key))
        case .liquidatePosition, .closePosition:
            _ = try EmptyRequest.decode(call.json())
            let action: KuraService.PositionAction = endpoint == .closePosition ? .close : .liquidate
            return try JSONResponse.make(
                await service.actOnPosition(
                    call.id("id", as: PositionID.self), action, amount: nil, by: principal, idempotencyKey: key))
        case .postPrice:
            return try JSONResponse.make(
                await service.postPrice(PostPriceRequest.decode(call.json()), by: principal, idempotencyKey: key))
        case .listPrices:
            return try JSONResponse.make(["items": await service.prices()])
        default:
            throw KuraError(.internalError, "\(endpoint) is not a facilitator route")
        }
    }

    /// `GET /.well-known/jwks.json`: the keys that verify decision envelopes, as a JWK set. Public.
    func jwks() throws(KuraError) -> Response {
        let bytes: [UInt8]
        do { bytes = try service.jwks.canonicalBytes() } catch {
            throw KuraError(.internalError, "cannot encode the key set: \(error.reason)")
        }
        return RawResponse.make(bytes, contentType: "application/jwk-set+json")
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
