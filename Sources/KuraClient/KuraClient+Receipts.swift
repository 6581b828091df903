import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `GET /v1/receipts?party=&kind=&cursor=&limit=`.
    public func receipts(party: PartyID? = nil, kind: String? = nil, cursor: String? = nil, limit: Int = 100)
        async throws(KuraClientError) -> Page<Receipt>
    {
        var query = ["limit=\(limit)"]
        if let party { query.append("party=\(party)") }
        if let kind { query.append("kind=\(kind)") }
        if let cursor { query.append("cursor=\(cursor)") }
        return try await call(.GET, "/v1/receipts?" + query.joined(separator: "&"), as: Page<Receipt>.self)
    }

    /// `GET /v1/receipts/{index}`.
    public func receipt(_ index: UInt64) async throws(KuraClientError) -> Receipt {
        try await call(.GET, "/v1/receipts/\(index)", as: Receipt.self)
    }

    /// `GET /v1/receipts/{index}/bundle[?size=N]`: the offline-verifiable bundle.
    public func bundle(_ index: UInt64, size: UInt64? = nil) async throws(KuraClientError) -> JSONValue {
        let query = size.map { "?size=\($0)" } ?? ""
        return try await send(.GET, "/v1/receipts/\(index)/bundle\(query)").json()
    }

    /// `GET /v1/log/checkpoint`: the signed note text.
    public func checkpointNote() async throws(KuraClientError) -> String {
        String(decoding: try await send(.GET, "/v1/log/checkpoint").body, as: UTF8.self)
    }

    /// `GET /v1/log/consistency?from=&to=`.
    public func consistency(from: UInt64, to: UInt64) async throws(KuraClientError) -> JSONValue {
        try await send(.GET, "/v1/log/consistency?from=\(from)&to=\(to)").json()
    }

    /// `GET /v1/log/key`: the verifier key text.
    public func verifierKey() async throws(KuraClientError) -> String {
        String(decoding: try await send(.GET, "/v1/log/key").body, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
