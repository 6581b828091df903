import Hummingbird
import KuraCore
import KuraService

extension KuraHandlers {
    /// `POST /v1/accounts/{party}/deposits` and `/withdrawals` (operators): 200 with the account as it now is.
    /// A transfer creates no resource of its own, so the answer is the account it changed. A body with
    /// `"rail": "solana"` moves money on chain instead (KuraHandlers+Solana.swift).
    func moveFunds(_ call: Call, deposit: Bool) async throws(KuraError) -> Response {
        let json = try call.json()
        if Self.isSolanaRail(json) {
            return deposit ? try await depositFromSolana(call, json) : try await withdrawToSolana(call, json)
        }
        let party = try call.id("party", as: PartyID.self)
        let request = try FundsRequest.decode(json)
        let reply =
            deposit
            ? try await service.deposit(request, to: party, by: call.principal, idempotencyKey: try call.idempotencyKey)
            : try await service.withdraw(
                request, from: party, by: call.principal, idempotencyKey: try call.idempotencyKey)
        return try JSONResponse.make(reply)
    }

    /// `GET /v1/accounts/{party}`: the party itself or an operator.
    func showAccount(_ call: Call) async throws(KuraError) -> Response {
        try await JSONResponse.make(service.account(call.id("party", as: PartyID.self), by: call.principal))
    }
}
