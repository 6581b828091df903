import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

let usdc = try! Asset("USDC")

/// The `KuraError` that `body` threw, or nil if it returned. Any other error is recorded as an issue.
func refusal<T>(_ body: () async throws -> T) async -> KuraError? {
    do {
        _ = try await body()
        return nil
    } catch let error as KuraError {
        return error
    } catch {
        Issue.record("expected a KuraError, got \(error)")
        return nil
    }
}

/// Lowercase hex SHA-256 of `text`, as delivery evidence.
func digest(_ text: String) -> String { Hex.encode(SHA256.hash(Array(text.utf8))) }

/// The body each escrow action takes.
func body(for action: EscrowAction) -> JSONValue {
    switch action {
    case .deliver: ["evidence": .string(digest("the delivered response"))]
    case .dispute: ["reason": "the response was empty", "evidence": [.string(digest("empty"))]]
    case .confirm, .cancel, .refund: [:]
    }
}

/// A database with an operator, a payer holding 1,000,000 USDC, a payee and a stranger.
struct EscrowWorld {
    let db: TestDatabase
    let payer: Party
    let payee: Party
    let stranger: Party

    var service: KuraService { db.service }
    var operatorParty: Party { db.operatorParty }

    static func make(_ label: String = #function, funds: UInt64 = 1_000_000) async throws -> EscrowWorld {
        let db = try await TestDatabase(label: label)
        do {
            let payer = try await db.register(name: "payer", roles: [.agent]).party
            let payee = try await db.register(name: "payee", roles: [.provider]).party
            let stranger = try await db.register(name: "stranger", roles: [.agent, .provider]).party
            if funds > 0 { try await db.deposit(party: payer, amount: funds) }
            return EscrowWorld(db: db, payer: payer, payee: payee, stranger: stranger)
        } catch {
            db.close()
            throw error
        }
    }

    func close() { db.close() }

    /// Opens an escrow from the payer to the payee, due `deliverIn` ms from now.
    func open(
        amount: UInt64 = 10_000, deliverIn: Int64 = 3_600_000, confirmWindowMs: Int64? = nil,
        disputeWindowMs: Int64? = nil
    ) async throws -> Escrow {
        let request = OpenEscrowRequest(
            payee: payee.id, amount: try Amount(units: amount), asset: usdc,
            deliverBy: db.clock.now.adding(milliseconds: deliverIn), confirmWindowMs: confirmWindowMs,
            disputeWindowMs: disputeWindowMs)
        return try await service.openEscrow(request, by: db.principal(payer), idempotencyKey: nil).value
    }

    /// Applies `action` to `escrow` as `party`, with the action's usual body.
    @discardableResult
    func act(_ action: EscrowAction, on escrow: EscrowID, by party: Party) async throws -> Escrow {
        try await service.act(on: escrow, action, body: body(for: action), by: db.principal(party), idempotencyKey: nil)
            .value
    }

    /// Opens an escrow of `amount`, delivers it and disputes it as the payer; returns the escrow and its dispute.
    func disputed(amount: UInt64) async throws -> (escrow: Escrow, dispute: DisputeID) {
        let escrow = try await open(amount: amount)
        try await act(.deliver, on: escrow.id, by: payee)
        let dispute = try #require(try await act(.dispute, on: escrow.id, by: payer).disputeId)
        return (escrow, dispute)
    }

    /// An escrow as the operator sees it.
    func escrow(_ id: EscrowID) async throws -> Escrow { try await service.escrow(id, by: db.operatorPrincipal) }

    /// The party's USDC balance line as `account` reports it (zeros when it has none).
    func balance(_ party: Party) async throws -> AccountView.Balance {
        let view = try await service.account(party.id, by: db.operatorPrincipal)
        return view.balances.first { $0.asset == usdc } ?? AccountView.Balance(asset: usdc, available: 0, held: 0)
    }

    /// A ledger account's USDC balance, read from the balances read model.
    func ledger(_ account: AccountName) async throws -> Int64 {
        try await ledgerBalance(service, account, usdc)
    }
}

/// A ledger account's balance in `asset`, read from the balances read model.
func ledgerBalance(_ service: KuraService, _ account: AccountName, _ asset: Asset) async throws -> Int64 {
    try await service.store.read { reads throws(KuraError) in
        try reads.balance(account: account.rawValue, asset: asset.name)
    }
}

/// The postings carried by a logged event (none for events that move no money).
func postings(of event: Event) throws -> [Posting] {
    if event.type.hasPrefix("escrow.") { return try EscrowEvent(type: event.type, payload: event.payload).postings }
    if event.type.hasPrefix("account.") { return try FundsEvent(type: event.type, payload: event.payload).postings }
    return []
}

extension KuraService {
    /// Rotates `party`'s signing key from the ``TestKeys`` key named `from` to the one named `to`.
    @discardableResult
    func rotateTestKey(of party: PartyID, from: String, to: String, by principal: Principal) async throws
        -> Reply<PartyRegistration>
    {
        try await rotateKey(
            of: party,
            RotateKeyRequest(
                instance: instance, party: party, from: TestKeys.publicKey(from), to: TestKeys.secretKey(to)),
            by: principal, idempotencyKey: nil)
    }
}
