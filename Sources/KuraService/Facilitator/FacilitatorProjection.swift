import KuraCore
import KuraCrypto
import KuraStore

/// The read models of reservations, mandates, positions and prices, kept by ``KuraProjector`` in the same
/// transaction as each append. A mandate's and a position's rows fold their own events and the reservation
/// events that draw on them, in log order, so `kura replay` rebuilds the same rows.
struct FacilitatorProjection {
    static let tables = ["reservations", "mandates", "positions", "prices"]

    static let schema = """
        CREATE TABLE IF NOT EXISTS reservations(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL, lane TEXT NOT NULL,
            agent TEXT NOT NULL, counterparty TEXT NOT NULL, source TEXT NOT NULL, expires_at INTEGER NOT NULL,
            json TEXT NOT NULL, settlement TEXT);
        CREATE INDEX IF NOT EXISTS reservations_live ON reservations(state, expires_at);
        CREATE INDEX IF NOT EXISTS reservations_by_source ON reservations(source, state);
        CREATE TABLE IF NOT EXISTS mandates(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL,
            expires_at INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS mandates_due ON mandates(state, expires_at);
        CREATE TABLE IF NOT EXISTS positions(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL, pair TEXT NOT NULL,
            json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS positions_by_pair ON positions(pair, state);
        CREATE TABLE IF NOT EXISTS prices(
            base TEXT NOT NULL, quote TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY(base, quote));
        """

    /// The queries whose rows make up the facilitator's part of the projection digest.
    static let digestQueries = [
        "SELECT id, seq, state, lane, agent, counterparty, source, expires_at, json, settlement FROM reservations ORDER BY id",
        "SELECT id, seq, agent, state, expires_at, json FROM mandates ORDER BY id",
        "SELECT id, seq, agent, state, pair, json FROM positions ORDER BY id",
        "SELECT base, quote, seq, json FROM prices ORDER BY base, quote",
    ]

    /// Whether this projection handles events of `type`.
    static func handles(_ type: String) -> Bool {
        type.hasPrefix("reservation.") || type.hasPrefix("mandate.") || type.hasPrefix("position.")
            || type.hasPrefix("price.")
    }

    static func reset(_ db: SQLiteConnection) throws(KuraError) {
        for table in tables { try db.execute("DELETE FROM \(table)") }
    }

    static func apply(_ event: Event, decoded: (any DomainEvent)?, _ projector: KuraProjector, _ db: SQLiteConnection)
        throws(KuraError)
    {
        if event.type.hasPrefix("reservation.") {
            let typed = try typedEvent(decoded, event, ReservationEvent.init)
            try projector.post(typed.postings, db)
            try applyReservation(typed, event, projector, db)
        } else if event.type.hasPrefix("mandate.") {
            let typed = try typedEvent(decoded, event, MandateEvent.init)
            try projector.post(typed.postings, db)
            try applyMandate(typed, event, db)
        } else if event.type.hasPrefix("position.") {
            let typed = try typedEvent(decoded, event, PositionEvent.init)
            try projector.post(typed.postings, db)
            try applyPosition(typed, event, db)
        } else if event.type.hasPrefix("price.") {
            guard case .posted(let price) = try typedEvent(decoded, event, PriceEvent.init) else { return }
            try db.run(
                "INSERT INTO prices(base, quote, seq, json) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT(base, quote) DO UPDATE SET seq = excluded.seq, json = excluded.json",
                .text(price.base.name), .text(price.quote.name), .integer(Int64(event.seq)),
                .text(try KuraProjector.text(.of(price))))
        }
    }

    private static func applyReservation(
        _ typed: ReservationEvent, _ event: Event, _ projector: KuraProjector, _ db: SQLiteConnection
    ) throws(KuraError) {
        let id = ReservationID(unchecked: String(event.stream.dropFirst("reservation/".count)))
        let before = try FacilitatorQueries.reservation(id, db)
        try projector.receiptLog.append(envelope: event, db) { index in
            Receipt.derive(
                typed, reservationBefore: before, eventSeq: event.seq, eventHash: event.hash, at: event.at,
                index: index)
        }
        let after: Reservation
        if case .reserved(let reservation, _) = typed {
            after = reservation
            let source = reservation.mandateId?.rawValue ?? reservation.positionId?.rawValue ?? ""
            try db.run(
                "INSERT INTO reservations(id, seq, state, lane, agent, counterparty, source, expires_at, json) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                .text(id.rawValue), .integer(Int64(event.seq)), .text(reservation.state.rawValue),
                .text(reservation.lane.rawValue), .text(reservation.agent.rawValue),
                .text(reservation.counterparty.rawValue), .text(source),
                .integer(reservation.expiresAt.milliseconds), .text(try KuraProjector.text(.of(reservation))))
        } else {
            guard var reservation = before else { return }
            reservation.apply(typed)
            after = reservation
            var settlement: SQLiteValue = .null
            if case .settled(let record, let txSignature, _) = typed {
                let answer = ReservationSettleResponse(
                    txSignature: txSignature, billableEventId: event.id, settledAt: record.settledAt,
                    amount: record.amount, lane: reservation.lane, idempotent: false)
                settlement = .text(try KuraProjector.text(.of(answer)))
            }
            try db.run(
                "UPDATE reservations SET state = ?, json = ?, settlement = coalesce(?, settlement) WHERE id = ?",
                .text(reservation.state.rawValue), .text(try KuraProjector.text(.of(reservation))), settlement,
                .text(id.rawValue))
        }
        // A settle changes nothing in a mandate (the hold already left it), so its row is not rewritten.
        var settles = false
        if case .settled = typed { settles = true }
        if !settles, let mandateId = after.mandateId, var mandate = try FacilitatorQueries.mandate(mandateId, db) {
            mandate.apply(typed, reservation: before)
            try updateMandate(mandate, db)
        }
        if let positionId = after.positionId, var position = try FacilitatorQueries.position(positionId, db) {
            position.apply(typed, reservation: before)
            try updatePosition(position, db)
        }
    }

    private static func applyMandate(_ typed: MandateEvent, _ event: Event, _ db: SQLiteConnection) throws(KuraError) {
        if case .created = typed {
            guard let mandate = Mandate.fold([typed]) else { return }
            try db.run(
                "INSERT INTO mandates(id, seq, agent, state, expires_at, json) VALUES (?, ?, ?, ?, ?, ?)",
                .text(mandate.id.rawValue), .integer(Int64(event.seq)), .text(mandate.agent.rawValue),
                .text(mandate.state.rawValue), .integer(mandate.expiresAt.milliseconds),
                .text(try KuraProjector.text(.of(mandate))))
            return
        }
        let id = MandateID(unchecked: String(event.stream.dropFirst("mandate/".count)))
        guard var mandate = try FacilitatorQueries.mandate(id, db) else { return }
        mandate.apply(typed)
        try updateMandate(mandate, db)
    }

    private static func applyPosition(_ typed: PositionEvent, _ event: Event, _ db: SQLiteConnection)
        throws(KuraError)
    {
        if case .opened = typed {
            guard let position = Position.fold([typed]) else { return }
            try db.run(
                "INSERT INTO positions(id, seq, agent, state, pair, json) VALUES (?, ?, ?, ?, ?, ?)",
                .text(position.id.rawValue), .integer(Int64(event.seq)), .text(position.agent.rawValue),
                .text(position.state.rawValue),
                .text(FacilitatorQueries.pair(position.collateralAsset, position.asset)),
                .text(try KuraProjector.text(.of(position))))
            return
        }
        let id = PositionID(unchecked: String(event.stream.dropFirst("position/".count)))
        guard var position = try FacilitatorQueries.position(id, db) else { return }
        position.apply(typed)
        try updatePosition(position, db)
    }

    private static func updateMandate(_ mandate: Mandate, _ db: SQLiteConnection) throws(KuraError) {
        try db.run(
            "UPDATE mandates SET state = ?, json = ? WHERE id = ?", .text(mandate.state.rawValue),
            .text(try KuraProjector.text(.of(mandate))), .text(mandate.id.rawValue))
    }

    private static func updatePosition(_ position: Position, _ db: SQLiteConnection) throws(KuraError) {
        try db.run(
            "UPDATE positions SET state = ?, json = ? WHERE id = ?", .text(position.state.rawValue),
            .text(try KuraProjector.text(.of(position))), .text(position.id.rawValue))
    }
}
