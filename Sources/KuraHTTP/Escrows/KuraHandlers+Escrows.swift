import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// The page size when `limit` is not given.
    static let defaultPageSize = 50

    /// `POST /v1/escrows`: the caller, as payer, locks funds. 201 with the escrow.
    func openEscrow(_ call: Call) async throws(KuraError) -> Response {
        let request = try OpenEscrowRequest.decode(call.json())
        let reply = try await service.openEscrow(request, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply, created: "/v1/escrows/\(reply.value.id)")
    }

    /// `POST /v1/escrows/{id}/<action>`: 200 with the escrow as it now is.
    func act(_ call: Call, _ action: EscrowAction) async throws(KuraError) -> Response {
        let id = try call.id("id", as: EscrowID.self)
        let reply = try await service.act(
            on: id, action, body: call.json(), by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `GET /v1/escrows/{id}`: its payer, its payee, or an operator.
    func showEscrow(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.escrow(call.id("id", as: EscrowID.self), by: call.principal))
    }

    /// `GET /v1/escrows?party=&state=&cursor=&limit=`: newest first, `{items, nextCursor}`.
    func listEscrows(_ call: Call) async throws(KuraError) -> Response {
        var party: PartyID?
        if let text = call.query["party"] { party = try PartyID(validating: text) }
        var state: Escrow.State?
        if let text = call.query["state"] {
            guard let value = Escrow.State(rawValue: text) else {
                let states = Escrow.State.allCases.map(\.rawValue).joined(separator: ", ")
                throw KuraError(.invalidRequest, "state must be one of \(states)")
            }
            state = value
        }
        let page = try await service.escrows(
            party: party, state: state, cursor: call.query["cursor"], limit: try Self.pageSize(call), by: call.principal
        )
        return try JSONResponse.page(page)
    }

    /// The `limit` query parameter: 1 to 500, default ``defaultPageSize``.
    static func pageSize(_ call: Call) throws(KuraError) -> Int {
        guard let text = call.query["limit"] else { return defaultPageSize }
        guard let value = Int(text), (1...500).contains(value) else {
            throw KuraError(.invalidRequest, "limit must be an integer from 1 to 500")
        }
        return value
    }
}
