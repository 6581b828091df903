import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// `POST /v1/disputes/{id}/<action>`: 200 with the dispute as it now is.
    func act(_ call: Call, onDispute action: DisputeAction) async throws(KuraError) -> Response {
        let id = try call.id("id", as: DisputeID.self)
        let reply = try await service.act(
            onDispute: id, action, body: call.json(), by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `GET /v1/disputes/{id}`: `{dispute, timeline}` for its sides, its arbiters and operators.
    func showDispute(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.dispute(call.id("id", as: DisputeID.self), by: call.principal))
    }

    /// `GET /v1/disputes?mine=&state=&cursor=&limit=`: newest first, `{items, nextCursor}`.
    func listDisputes(_ call: Call) async throws(KuraError) -> Response {
        var mine = false
        if let text = call.query["mine"] {
            guard text == "true" || text == "false" else {
                throw KuraError(.invalidRequest, "mine must be true or false")
            }
            mine = text == "true"
        }
        var state: Dispute.State?
        if let text = call.query["state"] {
            guard let value = Dispute.State(rawValue: text) else {
                let states = Dispute.State.allCases.map(\.rawValue).joined(separator: ", ")
                throw KuraError(.invalidRequest, "state must be one of \(states)")
            }
            state = value
        }
        let page = try await service.disputes(
            mine: mine, state: state, cursor: call.query["cursor"], limit: try Self.pageSize(call), by: call.principal)
        return try JSONResponse.page(page)
    }
}
