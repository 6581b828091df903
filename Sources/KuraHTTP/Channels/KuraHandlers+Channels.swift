import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// `POST /v1/channels`: the caller, as agent, deposits into a new channel. 201 with the channel.
    func openChannel(_ call: Call) async throws(KuraError) -> Response {
        let request = try OpenChannelRequest.decode(call.json())
        let reply = try await service.openChannel(request, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply, created: "/v1/channels/\(reply.value.id)")
    }

    /// `POST /v1/channels/{id}/<action>`: 200 with the channel as it now is.
    func act(_ call: Call, onChannel action: ChannelAction) async throws(KuraError) -> Response {
        let id = try call.id("id", as: ChannelID.self)
        let reply = try await service.act(
            onChannel: id, action, body: call.json(), by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `GET /v1/channels/{id}`: its agent, its provider, or an operator.
    func showChannel(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.channel(call.id("id", as: ChannelID.self), by: call.principal))
    }
}
