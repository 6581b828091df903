import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/channels` (``KuraAPI/openChannel``).
    public func openChannel(_ request: OpenChannelRequest, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Channel
    {
        try await perform(KuraAPI.openChannel, request, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/channels/{id}/<action>`: a top-up, a settlement or a close, with a body already in JSON, sent as
    /// given; prefer ``perform(_:at:_:idempotencyKey:)`` with the action's typed request (``KuraAPI/settleChannel``).
    public func act(
        onChannel id: ChannelID, _ action: ChannelAction, body: JSONValue = [:], idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Channel {
        try await call(
            .POST, "/v1/channels/\(id)/\(action.rawValue)", body: body, idempotencyKey: idempotencyKey,
            as: Channel.self)
    }

    /// `GET /v1/channels/{id}` (``KuraAPI/showChannel``).
    public func channel(_ id: ChannelID) async throws(KuraClientError) -> Channel {
        try await perform(KuraAPI.showChannel, at: id)
    }
}
