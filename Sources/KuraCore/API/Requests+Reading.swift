import KuraCrypto

// The requests of the busiest routes read themselves from their parsed members (`JSONMemberReadable`): through
// `Decodable`, an escrow's request took about a tenth of the request threads under the escrow load
// (Docs/performance.md). What a reader is not sure of goes to `Decodable`, which refuses it as before;
// `RequestReadingTests` holds each to `Decodable`.

extension JSONMembers {
    /// `unsigned` holds it to 2^53−1, the ceiling of an amount.
    func amount(_ key: String) throws(Unread) -> Amount { Amount(checked: try unsigned(key)) }

    func timestamp(_ key: String) throws(Unread) -> Timestamp { Timestamp(milliseconds: try integer(key)) }
}

extension OpenEscrowRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            payee: try json.string("payee", as: PartyID.init(_:)), amount: try json.amount("amount"),
            asset: try json.string("asset", as: { try? Asset($0) }),
            deliverBy: try json.timestamp("deliverBy"), confirmWindowMs: try json.optionalInteger("confirmWindowMs"),
            disputeWindowMs: try json.optionalInteger("disputeWindowMs"), resource: try json.optionalString("resource"),
            paymentId: try json.optionalString("paymentId"), memo: try json.optionalString("memo"))
    }
}

extension ReservationVerifyRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            amount: try json.amount("amount"), asset: try json.optionalString("asset", as: { try? Asset($0) }),
            lane: try json.string("lane", as: Lane.init(rawValue:)),
            mandate: try json.optionalString("mandate", as: MandateID.init(_:)),
            collateral: try json.optionalString("collateral", as: PositionID.init(_:)),
            agent: try json.string("agent", as: PartyID.init(_:)),
            counterparty: try json.string("counterparty", as: PartyID.init(_:)),
            resource: try json.optionalString("resource"), paymentId: try json.optionalString("paymentId"))
    }
}

extension ReservationSettleRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            reservationId: try json.string("reservationId", as: ReservationID.init(_:)),
            envelope: try json.string("envelope"),
            lane: try json.optionalString("lane", as: Lane.init(rawValue:)))
    }
}
