/// The reservation facilitator's metadata headers (x402's extension metadata): the lane, the reservation's
/// state, and the billable event once there is one. Every answer about a reservation carries them.
public enum FacilitatorHeader {
    /// `enterprise` or `crypto-fast`.
    public static let lane = "Kura-Lane"
    /// `reserved`, `settled` or `voided`.
    public static let reservationState = "Kura-Reservation-State"
    /// The `evt_…` ID of the settlement event, once there is one.
    public static let billableEvent = "Kura-Billable-Event"
}

extension ReservationVerifyResponse: OperationAnswerHeaders {
    public var answerHeaders: [(name: String, value: String)] {
        [
            (FacilitatorHeader.lane, lane.rawValue),
            (FacilitatorHeader.reservationState, Reservation.State.reserved.rawValue),
        ]
    }
}

extension ReservationSettleResponse: OperationAnswerHeaders {
    public var answerHeaders: [(name: String, value: String)] {
        [
            (FacilitatorHeader.lane, lane.rawValue),
            (FacilitatorHeader.reservationState, Reservation.State.settled.rawValue),
            (FacilitatorHeader.billableEvent, billableEventId.rawValue),
        ]
    }
}

extension Reservation: OperationAnswerHeaders {
    public var answerHeaders: [(name: String, value: String)] {
        [(FacilitatorHeader.lane, lane.rawValue), (FacilitatorHeader.reservationState, state.rawValue)]
    }
}
