extension KuraAPI {
    /// `POST /v1/accounts/{party}/deposits`: money recorded by an operator, or proven on Solana by the party or
    /// an operator (`"rail": "solana"`). 200 with the account: a deposit creates no resource of its own.
    public static let deposit = KuraOperation<PartyID, NoQuery, DepositRequest, AccountView>.post(
        "deposit", "/v1/accounts/{party}/deposits",
        problems: [
            .forbidden, .notFound, .idempotencyConflict, .transferUsed, .transferRefused, .railUnavailable,
        ])

    /// `POST /v1/accounts/{party}/withdrawals`: money paid out by an operator (200 with the account), or sent
    /// to a Solana address (201 with the withdrawal, at `/v1/withdrawals/{id}`).
    public static let withdraw = KuraOperation<PartyID, NoQuery, WithdrawalRequest, WithdrawalOutcome>.post(
        "withdraw", "/v1/accounts/{party}/withdrawals",
        problems: [
            .forbidden, .notFound, .idempotencyConflict, .insufficientFunds, .capExceeded, .railUnavailable,
        ],
        location: { $0.location }, successStatuses: [200, 201])

    /// `GET /v1/accounts/{party}`: the party itself or an operator.
    public static let showAccount = KuraOperation<PartyID, NoQuery, EmptyRequest, AccountView>.get(
        "showAccount", "/v1/accounts/{party}", problems: [.forbidden, .notFound])

    /// `GET /v1/withdrawals/{id}`: a withdrawal to Solana, for its party and operators.
    public static let showWithdrawal = KuraOperation<WithdrawalID, NoQuery, EmptyRequest, WithdrawalView>.get(
        "showWithdrawal", "/v1/withdrawals/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/solana/receipts`: an on-chain payment shown as the seed dialect's `X-Payment-Receipt`,
    /// checked once (any party). 200 with what it proves. The signature is accepted once (`transfer_used`
    /// after), but the retry of the accepting call with its `Idempotency-Key` gets the first answer.
    public static let acceptChainReceipt = KuraOperation<NoPath, NoQuery, ChainReceiptAsk, ChainReceipt>(
        id: "acceptChainReceipt", method: .post, path: "/v1/solana/receipts", access: .party, idempotent: true,
        problems: [.transferUsed, .transferRefused, .railUnavailable, .idempotencyConflict])

    static let accounts: [any KuraOperationDescription] = [
        deposit, withdraw, showAccount, showWithdrawal, acceptChainReceipt,
    ]
}
