import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/disputes/{id}/<action>`: evidence, a signed ruling, a recusal or an appeal, with a body already
    /// in JSON, sent as given; prefer ``perform(_:at:_:idempotencyKey:)`` with the action's typed request
    /// (``KuraAPI/ruleOnDispute`` and the others).
    public func act(
        onDispute id: DisputeID, _ action: DisputeAction, body: JSONValue = [:], idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Dispute {
        try await call(
            .POST, "/v1/disputes/\(id)/\(action.rawValue)", body: body, idempotencyKey: idempotencyKey,
            as: Dispute.self)
    }

    /// `GET /v1/disputes/{id}`: the dispute and its timeline (``KuraAPI/showDispute``).
    public func dispute(_ id: DisputeID) async throws(KuraClientError) -> DisputeView {
        try await perform(KuraAPI.showDispute, at: id)
    }

    /// `GET /v1/disputes?mine=&state=&cursor=&limit=` (``KuraAPI/listDisputes``).
    public func disputes(mine: Bool = false, state: Dispute.State? = nil, cursor: String? = nil, limit: Int = 50)
        async throws(KuraClientError) -> Page<Dispute>
    {
        try await perform(
            KuraAPI.listDisputes, query: DisputeListQuery(mine: mine, state: state, cursor: cursor, limit: limit))
    }
}
