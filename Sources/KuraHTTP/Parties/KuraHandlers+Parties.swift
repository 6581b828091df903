import Hummingbird
import KuraCore
import KuraService

extension KuraHandlers {
    /// `POST /v1/parties` (operators): 201 `{party, apiKey, passport}`; a replay omits `apiKey`.
    func registerParty(_ call: Call) async throws(KuraError) -> Response {
        let request = try RegisterPartyRequest.decode(call.json())
        let reply = try await service.registerParty(
            request, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply, created: "/v1/parties/\(reply.value.party.id)")
    }

    /// `POST /v1/parties/{id}/suspend|reactivate|revoke` (operators): 200 with the party as it now is.
    func changeStatus(_ call: Call, _ command: PartyCommand) async throws(KuraError) -> Response {
        _ = try EmptyRequest.decode(call.json())
        let reply = try await service.changeStatus(
            of: call.id("id", as: PartyID.self), command, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `POST /v1/parties/{id}/key` (the party or an operator): 200 `{party, passport}` with the new key.
    func rotateKey(_ call: Call) async throws(KuraError) -> Response {
        let request = try RotateKeyRequest.decode(call.json())
        let reply = try await service.rotateKey(
            of: call.id("id", as: PartyID.self), request, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `POST /v1/parties/{id}/api-key` (the party or an operator): 200 `{party, apiKey, passport}`; a replay
    /// omits `apiKey`.
    func rotateAPIKey(_ call: Call) async throws(KuraError) -> Response {
        _ = try EmptyRequest.decode(call.json())
        let reply = try await service.rotateAPIKey(
            of: call.id("id", as: PartyID.self), by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `GET /v1/parties/{id}`: any authenticated caller.
    func showParty(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.party(call.id("id", as: PartyID.self)))
    }
}
