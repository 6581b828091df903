import KuraCrypto

// The requests of the busiest routes read themselves from their parsed members (`JSONMemberReadable`): through
// `Decodable`, an escrow's request took about a tenth of the request threads under the escrow load
// (Docs/performance.md). What a reader is not sure of goes to `Decodable`, which refuses it as before;
// `RequestReadingTests` holds each to `Decodable`.

extension JSONMembers {
    func identifier<ID: KuraIdentifier>(_ key: String, as type: ID.Type = ID.self) throws(Unread) -> ID {
        let text = try string(key)
        guard ID.isValid(text) else { throw Unread() }
        return ID(unchecked: text)
    }

    func optionalIdentifier<ID: KuraIdentifier>(_ key: String, as type: ID.Type = ID.self) throws(Unread) -> ID? {
        guard let text = try optionalString(key) else { return nil }
        guard ID.isValid(text) else { throw Unread() }
        return ID(unchecked: text)
    }

    /// `unsigned` holds it to 2^53−1, the ceiling of an amount.
    func amount(_ key: String) throws(Unread) -> Amount { Amount(checked: try unsigned(key)) }

    func asset(_ key: String) throws(Unread) -> Asset {
        guard let asset = try? Asset(try string(key)) else { throw Unread() }
        return asset
    }

    func optionalAsset(_ key: String) throws(Unread) -> Asset? {
        guard let name = try optionalString(key) else { return nil }
        guard let asset = try? Asset(name) else { throw Unread() }
        return asset
    }

    func timestamp(_ key: String) throws(Unread) -> Timestamp { Timestamp(milliseconds: try integer(key)) }

    func lane(_ key: String) throws(Unread) -> Lane {
        guard let lane = Lane(rawValue: try string(key)) else { throw Unread() }
        return lane
    }

    func optionalLane(_ key: String) throws(Unread) -> Lane? {
        guard let name = try optionalString(key) else { return nil }
        guard let lane = Lane(rawValue: name) else { throw Unread() }
        return lane
    }
}

extension OpenEscrowRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            payee: try json.identifier("payee"), amount: try json.amount("amount"), asset: try json.asset("asset"),
            deliverBy: try json.timestamp("deliverBy"), confirmWindowMs: try json.optionalInteger("confirmWindowMs"),
            disputeWindowMs: try json.optionalInteger("disputeWindowMs"), resource: try json.optionalString("resource"),
            paymentId: try json.optionalString("paymentId"), memo: try json.optionalString("memo"))
    }
}

extension ReservationVerifyRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            amount: try json.amount("amount"), asset: try json.optionalAsset("asset"), lane: try json.lane("lane"),
            mandate: try json.optionalIdentifier("mandate"), collateral: try json.optionalIdentifier("collateral"),
            agent: try json.identifier("agent"), counterparty: try json.identifier("counterparty"),
            resource: try json.optionalString("resource"), paymentId: try json.optionalString("paymentId"))
    }
}

extension ReservationSettleRequest: JSONMemberReadable {
    public init(reading json: JSONMembers) throws(JSONMembers.Unread) {
        self.init(
            reservationId: try json.identifier("reservationId"), envelope: try json.string("envelope"),
            lane: try json.optionalLane("lane"))
    }
}
