import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `GET /v1/receipts?party=&kind=&cursor=&limit=`.
    public func receipts(party: PartyID? = nil, kind: String? = nil, cursor: String? = nil, limit: Int = 100)
        async throws(KuraClientError) -> Page<Receipt>
    {
        try await perform(
            KuraAPI.listReceipts, query: ReceiptListQuery(party: party, kind: kind, cursor: cursor, limit: limit))
    }

    /// `GET /v1/receipts/{index}`.
    public func receipt(_ index: UInt64) async throws(KuraClientError) -> Receipt {
        try await perform(KuraAPI.showReceipt, at: ReceiptIndex(index))
    }

    /// `GET /v1/receipts/{index}/bundle[?size=N]`: the offline-verifiable bundle. JSON, as `ReceiptBundle.verify`
    /// reads it: the receipt's leaf is the exact canonical bytes of its members as sent, so the bundle is not
    /// decoded into types that could drop or reorder a member.
    public func bundle(_ index: UInt64, size: UInt64? = nil) async throws(KuraClientError) -> JSONValue {
        try await perform(
            KuraAPI.receiptBundle, at: ReceiptIndex(index), query: BundleQuery(size: size), body: EmptyRequest())
    }

    /// `GET /v1/log/checkpoint`: the signed note text.
    public func checkpointNote() async throws(KuraClientError) -> String {
        try await perform(KuraAPI.logCheckpoint, at: NoPath()).text
    }

    /// `GET /v1/log/consistency?from=&to=`.
    public func consistency(from: UInt64, to: UInt64) async throws(KuraClientError) -> ConsistencyProof {
        try await perform(KuraAPI.logConsistency, query: ConsistencyQuery(from: from, to: to))
    }

    /// `GET /v1/log/key`: the verifier key text.
    public func verifierKey() async throws(KuraClientError) -> String {
        try await perform(KuraAPI.logKey, at: NoPath()).text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
