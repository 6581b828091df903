import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// Whether a deposit or withdrawal body names the Solana rail (`"rail": "solana"`).
    static func isSolanaRail(_ json: JSONValue) -> Bool { json["rail"] == "solana" }

    /// `POST /v1/accounts/{party}/deposits` with `{rail: "solana", tx, network?}` (the party or an operator):
    /// 200 with the account.
    func depositFromSolana(_ call: Call, _ json: JSONValue) async throws(KuraError) -> Response {
        let party = try call.id("party", as: PartyID.self)
        let proof = try SolanaDepositProof.decode(json)
        return try JSONResponse.make(
            try await service.depositFromSolana(
                proof, to: party, by: call.principal, idempotencyKey: try call.idempotencyKey))
    }

    /// `POST /v1/accounts/{party}/withdrawals` with `{rail: "solana", asset, amount, destination, network?}`
    /// (the party or an operator): 201 with the withdrawal, at `/v1/withdrawals/{id}`.
    func withdrawToSolana(_ call: Call, _ json: JSONValue) async throws(KuraError) -> Response {
        let party = try call.id("party", as: PartyID.self)
        let ask = try SolanaWithdrawalAsk.decode(json)
        let reply = try await service.withdrawToSolana(
            ask, from: party, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply, created: "/v1/withdrawals/\(reply.value.id)")
    }

    /// `GET /v1/withdrawals/{id}`: the party or an operator.
    func showWithdrawal(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.withdrawal(call.id("id", as: WithdrawalID.self), by: call.principal))
    }

    /// `POST /v1/solana/receipts`: checks an on-chain payment shown as a seed-dialect receipt, once.
    func acceptChainReceipt(_ call: Call) async throws(KuraError) -> Response {
        let ask = try ChainReceiptAsk.decode(call.json())
        return try JSONResponse.make(try await service.acceptChainReceipt(ask, by: call.principal), created: nil)
    }
}
