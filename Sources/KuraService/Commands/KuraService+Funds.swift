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
        var json = try JSONValue.of(request)
        if case .object(var members) = json {
            members["party"] = .string(party.rawValue)
            json = .object(members)
        }
        return try await command(operation, request: json, by: principal, idempotencyKey: idempotencyKey) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> AccountView in
            try Self.requireRole(.operator, principal, tx.db, "move funds in or out of Kura")
            let target = try Queries.requireParty(party, tx.db)
            let event = try decide(target, try Queries.available(party, request.asset, tx.db))
            try context.append([event], to: "account/\(party)", &tx)
            return try Self.account(party, tx.db)
        }
    }

    /// A party's balances (the party itself or an operator).
    public func account(_ party: PartyID, by principal: Principal) throws(KuraError) -> AccountView {
        try read { db throws(KuraError) in
            _ = try Queries.requireParty(party, db)
            if principal.id != party { try Self.requireRole(.operator, principal, db, "read another party's account") }
            return try Self.account(party, db)
        }
    }

    static func account(_ party: PartyID, _ db: SQLiteConnection) throws(KuraError) -> AccountView {
        var rows: [String: (available: UInt64, held: UInt64)] = [:]
        let available = try db.statement("SELECT asset, balance FROM balances WHERE account = ?")
        try available.bind([.text(AccountName.available(party).rawValue)])
        for row in try available.rows({ row throws(KuraError) in (row.text(0), row.int64(1)) }) {
            rows[row.0, default: (0, 0)].available = UInt64(max(0, row.1))
        }
        let held = try db.statement(
            "SELECT asset, sum(amount) FROM escrows WHERE payer = ? AND state IN ('locked', 'delivered', 'disputed') GROUP BY asset"
        )
        try held.bind([.text(party.rawValue)])
        for row in try held.rows({ row throws(KuraError) in (row.text(0), row.int64(1)) }) {
            rows[row.0, default: (0, 0)].held = UInt64(max(0, row.1))
        }
        let balances = try rows.keys.sorted().map { name throws(KuraError) in
            AccountView.Balance(asset: try Asset(name), available: rows[name]!.available, held: rows[name]!.held)
        }
        return AccountView(party: party, balances: balances)
    }

    /// Refuses unless the principal is, right now, an active party with `role`.
    static func requireRole(_ role: Party.Role, _ principal: Principal, _ db: SQLiteConnection, _ what: String)
        throws(KuraError)
    {
        guard let current = try Queries.party(principal.id, db), current.canAct(as: role) else {
            throw KuraError(.forbidden, "only an active \(role.rawValue) may \(what)")
        }
    }
}
