import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/solana/receipts`: asks Kura to check an on-chain payment shown as a seed-dialect receipt
    /// (`{network, signature, paymentId, payTo, asset, amount}`) and to accept it once. The accepted receipt.
    public func acceptChainReceipt(_ ask: JSONValue) async throws(KuraClientError) -> JSONValue {
        try await call(.POST, "/v1/solana/receipts", body: ask, as: JSONValue.self)
    }

    /// `GET /v1/withdrawals/{id}`.
    public func withdrawal(_ id: String) async throws(KuraClientError) -> JSONValue {
        try await call(.GET, "/v1/withdrawals/\(id)", as: JSONValue.self)
    }
}
