import KuraCrypto

extension Receipt {
    /// Derives the receipt of a reservation event, given the reservation as it was just before (nil for
    /// `reserved`). Kinds `reservation.reserved` (outcome `reserved`), `reservation.settled` (outcome `settled`,
    /// with the fee: a completed payment) and `reservation.voided` (outcome `voided`). Subject: the reservation;
    /// payer: the agent; payee: the counterparty.
    public static func derive(
        _ event: ReservationEvent, reservationBefore: Reservation?, eventSeq: UInt64, eventHash: [UInt8],
        at: Timestamp, index: UInt64
    ) -> Receipt? {
        var reservation: Reservation
        if let reservationBefore {
            reservation = reservationBefore
            reservation.apply(event)
        } else {
            guard let created = Reservation.fold([event]) else { return nil }
            reservation = created
        }
        var receipt = Receipt(
            index: index, eventSeq: eventSeq, eventHash: Hex.encode(eventHash), kind: event.type,
            subject: reservation.id.rawValue, payer: reservation.agent, payee: reservation.counterparty,
            amount: reservation.amount, asset: reservation.asset, outcome: "", at: at)
        switch event {
        case .reserved: receipt.outcome = "reserved"
        case .settled(let record, _, _):
            receipt.outcome = "settled"
            receipt.fee = record.fee
        case .voided: receipt.outcome = "voided"
        }
        return receipt
    }
}
