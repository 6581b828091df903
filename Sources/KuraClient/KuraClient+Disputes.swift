import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/disputes/{id}/<action>`: evidence, a signed ruling, a recusal or an appeal.
    public func act(
        onDispute id: DisputeID, _ action: DisputeAction, body: JSONValue = [:], idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Dispute {
        try await call(
            .POST, "/v1/disputes/\(id)/\(action.rawValue)", body: body, idempotencyKey: idempotencyKey,
            as: Dispute.self)
    }

    /// `GET /v1/disputes/{id}`: the dispute and its timeline.
    public func dispute(_ id: DisputeID) async throws(KuraClientError) -> DisputeView {
        try await call(.GET, "/v1/disputes/\(id)", as: DisputeView.self)
    }

    /// `GET /v1/disputes?mine=&state=&cursor=&limit=`.
    public func disputes(mine: Bool = false, state: Dispute.State? = nil, cursor: String? = nil, limit: Int = 50)
        async throws(KuraClientError) -> Page<Dispute>
    {
        var query = ["limit=\(limit)"]
        if mine { query.append("mine=true") }
        if let state { query.append("state=\(state.rawValue)") }
        if let cursor { query.append("cursor=\(cursor)") }
        return try await call(.GET, "/v1/disputes?" + query.joined(separator: "&"), as: Page<Dispute>.self)
    }
}
