extension KuraAPI {
    /// The problem codes of an action on an open dispute.
    static let disputeCommandProblems: [KuraError.Code] = [
        .forbidden, .notFound, .disputeNotOpen, .deadlinePassed, .idempotencyConflict,
    ]

    /// `GET /v1/disputes`: newest first; `mine` lists those where the caller sits on the panel.
    public static let listDisputes = KuraOperation<NoPath, DisputeListQuery, EmptyRequest, Page<Dispute>>.get(
        "listDisputes", "/v1/disputes", problems: [.forbidden])

    /// `GET /v1/disputes/{id}`: the dispute and its timeline, for its sides, its arbiters and operators.
    public static let showDispute = KuraOperation<DisputeID, NoQuery, EmptyRequest, DisputeView>.get(
        "showDispute", "/v1/disputes/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/disputes/{id}/evidence`: the payer or the payee adds evidence.
    public static let addDisputeEvidence = KuraOperation<DisputeID, NoQuery, DisputeEvidenceRequest, Dispute>.post(
        "addDisputeEvidence", "/v1/disputes/{id}/evidence", problems: disputeCommandProblems)

    /// `POST /v1/disputes/{id}/rulings`: a panel arbiter's ruling, signed with its own key.
    public static let ruleOnDispute = KuraOperation<DisputeID, NoQuery, RulingRequest, Dispute>.post(
        "ruleOnDispute", "/v1/disputes/{id}/rulings",
        problems: disputeCommandProblems + [.notOnPanel, .alreadyRuled, .invalidSignature])

    /// `POST /v1/disputes/{id}/recusals`: a panel arbiter steps down; another is drawn.
    public static let recuseFromDispute = KuraOperation<DisputeID, NoQuery, EmptyRequest, Dispute>.post(
        "recuseFromDispute", "/v1/disputes/{id}/recusals", problems: disputeCommandProblems + [.notOnPanel])

    /// `POST /v1/disputes/{id}/appeal`: the payer or the payee appeals a first-round decision, once.
    public static let appealDispute = KuraOperation<DisputeID, NoQuery, AppealRequest, Dispute>.post(
        "appealDispute", "/v1/disputes/{id}/appeal", problems: disputeCommandProblems)

    /// The dispute operations.
    static let disputes: [any KuraOperationDescription] = [
        listDisputes, showDispute, addDisputeEvidence, ruleOnDispute, recuseFromDispute, appealDispute,
    ]
}

/// `GET /v1/disputes?mine=&state=&cursor=&limit=`.
public struct DisputeListQuery: OperationQuery, Equatable {
    /// Only the disputes where the caller sits on the current panel.
    public var mine: Bool
    public var state: Dispute.State?
    public var cursor: String?
    public var limit: Int

    public init(mine: Bool = false, state: Dispute.State? = nil, cursor: String? = nil, limit: Int = 50) {
        self.mine = mine
        self.state = state
        self.cursor = cursor
        self.limit = limit
    }

    public static var names: [String] { ["limit", "mine", "state", "cursor"] }

    public init(query: [String: String]) throws(KuraError) {
        switch query["mine"] {
        case nil, "false": mine = false
        case "true": mine = true
        default: throw KuraError(.invalidRequest, "mine must be true or false")
        }
        state = try PageQuery.value("state", query, as: Dispute.State.self)
        cursor = query["cursor"]
        limit = try PageQuery.limit(query)
    }

    public var queryItems: [(name: String, value: String)] {
        var items = [(name: "limit", value: "\(limit)")]
        if mine { items.append(("mine", "true")) }
        if let state { items.append(("state", state.rawValue)) }
        if let cursor { items.append(("cursor", cursor)) }
        return items
    }
}
