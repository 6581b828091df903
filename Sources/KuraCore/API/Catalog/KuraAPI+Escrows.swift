extension KuraAPI {
    /// The problem codes of a command on an existing escrow: it must exist, the caller must be the side that
    /// may act, the escrow must be in a state that allows the action, and a reused key must match.
    static let escrowCommandProblems: [KuraError.Code] = [
        .forbidden, .notFound, .invalidTransition, .idempotencyConflict,
    ]

    /// `POST /v1/escrows`: the caller, as payer, locks funds for a payee. 201 with the escrow.
    public static let openEscrow = KuraOperation<NoPath, NoQuery, OpenEscrowRequest, Escrow>.post(
        "openEscrow", "/v1/escrows",
        problems: [.forbidden, .notFound, .idempotencyConflict, .insufficientFunds],
        location: { "/v1/escrows/\($0.id)" })

    /// `GET /v1/escrows`: a party's escrows (default: the caller's), newest first.
    public static let listEscrows = KuraOperation<NoPath, EscrowListQuery, EmptyRequest, Page<Escrow>>.get(
        "listEscrows", "/v1/escrows", problems: [.forbidden])

    /// `GET /v1/escrows/{id}`: for its payer, its payee and operators.
    public static let showEscrow = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.get(
        "showEscrow", "/v1/escrows/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/escrows/{id}/deliver`: the payee marks delivery with an evidence digest.
    public static let deliverEscrow = KuraOperation<EscrowID, NoQuery, DeliverRequest, Escrow>.post(
        "deliverEscrow", "/v1/escrows/{id}/deliver", problems: escrowCommandProblems)

    /// `POST /v1/escrows/{id}/confirm`: the payer confirms; the funds go to the payee.
    public static let confirmEscrow = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.post(
        "confirmEscrow", "/v1/escrows/{id}/confirm", problems: escrowCommandProblems)

    /// `POST /v1/escrows/{id}/dispute`: the payer disputes the delivery; a dispute opens.
    public static let disputeEscrow = KuraOperation<EscrowID, NoQuery, DisputeRequest, Escrow>.post(
        "disputeEscrow", "/v1/escrows/{id}/dispute", problems: escrowCommandProblems)

    /// `POST /v1/escrows/{id}/cancel`: the payer cancels before delivery.
    public static let cancelEscrow = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.post(
        "cancelEscrow", "/v1/escrows/{id}/cancel", problems: escrowCommandProblems)

    /// `POST /v1/escrows/{id}/refund`: the payee gives the money back.
    public static let refundEscrow = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.post(
        "refundEscrow", "/v1/escrows/{id}/refund", problems: escrowCommandProblems)

    /// The escrow operations.
    static let escrows: [any KuraOperationDescription] = [
        openEscrow, listEscrows, showEscrow, deliverEscrow, confirmEscrow, disputeEscrow, cancelEscrow, refundEscrow,
    ]
}

/// `GET /v1/escrows?party=&state=&cursor=&limit=`.
public struct EscrowListQuery: OperationQuery, Equatable {
    /// Whose escrows; nil: the caller's. Only operators list another party's.
    public var party: PartyID?
    public var state: Escrow.State?
    public var cursor: String?
    public var limit: Int

    public init(party: PartyID? = nil, state: Escrow.State? = nil, cursor: String? = nil, limit: Int = 50) {
        self.party = party
        self.state = state
        self.cursor = cursor
        self.limit = limit
    }

    public static var names: [String] { ["limit", "party", "state", "cursor"] }

    public init(query: [String: String]) throws(KuraError) {
        party = try query["party"].map { text throws(KuraError) in try PartyID(validating: text) }
        state = try PageQuery.value("state", query, as: Escrow.State.self)
        cursor = query["cursor"]
        limit = try PageQuery.limit(query)
    }

    public var queryItems: [(name: String, value: String)] {
        var items = [(name: "limit", value: "\(limit)")]
        if let party { items.append(("party", party.rawValue)) }
        if let state { items.append(("state", state.rawValue)) }
        if let cursor { items.append(("cursor", cursor)) }
        return items
    }
}
