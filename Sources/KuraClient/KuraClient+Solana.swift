import KuraCore

extension KuraClient {
    /// `POST /v1/accounts/{party}/deposits` with a deposit proven on Solana (``KuraAPI/deposit``; the party or
    /// an operator): the account after it.
    public func deposit(_ proof: SolanaDepositProof, to party: PartyID, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> AccountView
    {
        try await perform(KuraAPI.deposit, at: party, .solana(proof), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/accounts/{party}/withdrawals` to a Solana address (``KuraAPI/withdraw``; the party or an
    /// operator): the withdrawal as it stands.
    public func withdraw(_ ask: SolanaWithdrawalAsk, from party: PartyID, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> WithdrawalView
    {
        let outcome = try await perform(KuraAPI.withdraw, at: party, .solana(ask), idempotencyKey: idempotencyKey)
        guard case .solana(let withdrawal) = outcome else {
            throw KuraClientError(
                kind: .invalid, status: nil, code: "invalid_response", detail: "a Solana withdrawal answered an account"
            )
        }
        return withdrawal
    }

    /// `POST /v1/solana/receipts` (``KuraAPI/acceptChainReceipt``): asks Kura to check an on-chain payment shown
    /// as a seed-dialect receipt and to accept it once. The accepted receipt.
    public func acceptChainReceipt(_ ask: ChainReceiptAsk) async throws(KuraClientError) -> ChainReceipt {
        try await perform(KuraAPI.acceptChainReceipt, ask)
    }

    /// `GET /v1/withdrawals/{id}` (``KuraAPI/showWithdrawal``).
    public func withdrawal(_ id: WithdrawalID) async throws(KuraClientError) -> WithdrawalView {
        try await perform(KuraAPI.showWithdrawal, at: id)
    }
}
