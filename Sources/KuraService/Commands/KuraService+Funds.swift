import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Credits external funds to a party (operators only).
    public func deposit(_ request: FundsRequest, to party: PartyID, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<AccountView>
    {
        try await moveFunds("account.deposit", request, party, principal, idempotencyKey) {
            (target: Party, available: Amount) throws(KuraError) -> FundsEvent in
            try FundsEvent.decideDeposit(
                party: target, asset: request.asset, amount: request.amount, reference: request.reference)
        }
    }

    /// Pays a party's available funds out of Kura (operators only).
    public func withdraw(_ request: FundsRequest, from party: PartyID, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<AccountView>
    {
        try await moveFunds("account.withdraw", request, party, principal, idempotencyKey) {
            (target: Party, available: Amount) throws(KuraError) -> FundsEvent in
            try FundsEvent.decideWithdrawal(
                party: target, asset: request.asset, amount: request.amount, available: available,
                reference: request.reference)
        }
    }

    private func moveFunds(
        _ operation: String, _ request: FundsRequest, _ party: PartyID, _ principal: Principal,
        _ idempotencyKey: String?,
        _ decide: @escaping @Sendable (Party, Amount) throws(KuraError) -> FundsEvent
    ) async throws(KuraError) -> Reply<AccountView> {
        let json = try JSONValue.of(request, forAccountOf: party)
        return try await command(operation, request: json, by: principal, idempotencyKey: idempotencyKey) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> AccountView in
            let state = tx.state
            try state.requireRole(.operator, principal, "move funds in or out of Kura")
            let target = try state.requireParty(party)
            let event = try decide(target, try state.available(party, request.asset))
            try context.append([event], to: "account/\(party)", &tx)
            return try state.accountView(party)
        }
    }

    /// A party's balances (the party itself or an operator).
    public func account(_ party: PartyID, by principal: Principal) async throws(KuraError) -> AccountView {
        try await read { reads throws(KuraError) in
            _ = try reads.requireParty(party)
            if principal.id != party { try reads.requireRole(.operator, principal, "read another party's account") }
            return try Self.account(party, reads)
        }
    }

    static func account(_ party: PartyID, _ reads: any ReadSession) throws(KuraError) -> AccountView {
        var rows: [String: (available: UInt64, held: UInt64)] = [:]
        for row in try reads.balances(account: AccountName.available(party).rawValue) {
            rows[row.asset, default: (0, 0)].available = try Self.shown(row.units, "available", party, row.asset)
        }
        for row in try reads.heldInEscrows(payer: party) {
            rows[row.asset, default: (0, 0)].held = try Self.shown(row.units, "held", party, row.asset)
        }
        let balances = try rows.keys.sorted().map { name throws(KuraError) in
            AccountView.Balance(asset: try Asset(name), available: rows[name]!.available, held: rows[name]!.held)
        }
        return AccountView(party: party, balances: balances)
    }
}

extension KuraService {
    /// A party's balance as an account view shows it. Available and held balances never go below zero (every
    /// command that debits checks the funds first, and the writer asserts it as it posts); a negative one means
    /// the read model is damaged, and is an internal error rather than a 0 that hides it.
    static func shown(_ units: Int64, _ what: String, _ party: PartyID, _ asset: String) throws(KuraError) -> UInt64 {
        guard units >= 0 else {
            throw KuraError(.internalError, "\(party) has \(units) \(asset) \(what): a balance below zero")
        }
        return UInt64(units)
    }
}
