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

    /// `GET /v1/parties/{id}`: any authenticated caller.
    func showParty(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.party(call.id("id", as: PartyID.self)))
    }
}
