import KuraCore

/// A row of `reservations`: the reservation, the `seq` of `reservation.reserved`, and, once settled, the
/// first settle's answer (`idempotent: false` as stored). State, lane, agent, counterparty, source (its
/// mandate or position ID) and expiry are read off `reservation`.
public struct ReservationRow: Sendable, Equatable {
    public var reservation: Reservation
    public var seq: UInt64
    public var settlement: ReservationSettleResponse?

    public init(reservation: Reservation, seq: UInt64, settlement: ReservationSettleResponse? = nil) {
        self.reservation = reservation
        self.seq = seq
        self.settlement = settlement
    }

    /// The `source` column: the mandate or position the reservation draws on.
    public var source: String { reservation.mandateId?.rawValue ?? reservation.positionId?.rawValue ?? "" }
}
