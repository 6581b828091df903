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

    /// `GET /v1/channels/{id}` (``KuraAPI/showChannel``).
    public func channel(_ id: ChannelID) async throws(KuraClientError) -> Channel {
        try await perform(KuraAPI.showChannel, at: id)
    }
}
