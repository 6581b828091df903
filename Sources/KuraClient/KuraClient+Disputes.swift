import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
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
