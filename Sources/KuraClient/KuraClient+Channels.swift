import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/channels`.
    public func openChannel(_ request: OpenChannelRequest, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Channel
    {
        try await call(
            .POST, "/v1/channels", body: try Self.json(request), idempotencyKey: idempotencyKey, as: Channel.self)
    }

    /// `POST /v1/channels/{id}/<action>`: a top-up, a settlement or a close.
    public func act(
        onChannel id: ChannelID, _ action: ChannelAction, body: JSONValue = [:], idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Channel {
        try await call(
            .POST, "/v1/channels/\(id)/\(action.rawValue)", body: body, idempotencyKey: idempotencyKey,
            as: Channel.self)
    }

    /// `GET /v1/channels/{id}`.
    public func channel(_ id: ChannelID) async throws(KuraClientError) -> Channel {
        try await call(.GET, "/v1/channels/\(id)", as: Channel.self)
    }
}
