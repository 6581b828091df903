import KuraCore
import KuraService
import KuraTesting
import Testing

/// Who calls, relative to an escrow.
enum Caller: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case payer, payee, stranger, `operator`
    var testDescription: String { rawValue }
}

/// Operations only an operator may perform.
enum OperatorOperation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case deposit, withdraw, register, suspend
    var testDescription: String { rawValue }
}

extension EscrowWorld {
    func party(_ caller: Caller) -> Party {
        switch caller {
        case .payer: payer
        case .payee: payee
        case .stranger: stranger
        case .operator: operatorParty
        }
    }
}

@Suite("Who may do what")
struct AuthorizationTests {
    /// The one caller allowed each escrow action.
    static func allowed(_ action: EscrowAction) -> Caller {
        switch action {
        case .confirm, .dispute, .cancel: .payer
        case .deliver, .refund: .payee
        }
    }

    @Test(
        "each escrow action is open to its one caller; everyone else is forbidden and writes nothing",
        arguments: EscrowAction.allCases, Caller.allCases)
    func escrowAction(action: EscrowAction, caller: Caller) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        // Put the escrow where the action is legal for the right caller.
        if action == .confirm || action == .dispute { try await world.act(.deliver, on: escrow.id, by: world.payee) }
        let before = try await world.escrow(escrow.id)
        let head = try await world.service.store.head()

        if caller == Self.allowed(action) {
            let after = try await world.act(action, on: escrow.id, by: world.party(caller))
            #expect(after.state != before.state)
            #expect(try await world.service.store.head().seq > head.seq)
        } else {
            let error = await refusal { try await world.act(action, on: escrow.id, by: world.party(caller)) }
            #expect(error?.code == .forbidden)
            #expect(try await world.service.store.head() == head)
            #expect(try await world.escrow(escrow.id) == before)
        }
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test(
        "only an operator deposits, withdraws, registers and suspends", arguments: OperatorOperation.allCases,
        Caller.allCases)
    func operatorOnly(operation: OperatorOperation, caller: Caller) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let principal = world.db.principal(world.party(caller))
        let funds = FundsRequest(asset: usdc, amount: try Amount(units: 1_000))
        let head = try await world.service.store.head()
        let balance = try await world.balance(world.payer)
        let attempt: () async throws -> Void = {
            switch operation {
            case .deposit:
                _ = try await world.service.deposit(funds, to: world.payer.id, by: principal, idempotencyKey: nil)
            case .withdraw:
                _ = try await world.service.withdraw(funds, from: world.payer.id, by: principal, idempotencyKey: nil)
            case .register:
                _ = try await world.service.registerParty(
                    RegisterPartyRequest(
                        name: "newcomer", roles: [.agent], publicKey: TestKeys.publicKey("newcomer").base64),
                    by: principal, idempotencyKey: nil)
            case .suspend:
                _ = try await world.service.changeStatus(
                    of: world.payee.id, .suspend, by: principal, idempotencyKey: nil)
            }
        }
        if caller == .operator {
            try await attempt()
            #expect(try await world.service.store.head().seq == head.seq + 1)
            switch operation {
            case .deposit: #expect(try await world.balance(world.payer).available == balance.available + 1_000)
            case .withdraw: #expect(try await world.balance(world.payer).available == balance.available - 1_000)
            case .register:
                #expect(
                    try await world.service.store.events(after: head.seq, limit: 10).map(\.type) == ["party.registered"]
                )
            case .suspend: #expect(try await world.service.party(world.payee.id).status == .suspended)
            }
        } else {
            let error = await refusal { try await attempt() }
            #expect(error?.code == .forbidden)
            #expect(try await world.service.store.head() == head)
            #expect(try await world.balance(world.payer) == balance)
        }
    }

    @Test("a suspended payer is refused everything, even with a principal from before the suspension")
    func suspendedPayer() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let registration = try await world.db.register(name: "agent-7", roles: [.agent])
        try await world.db.deposit(party: registration.party, amount: 50_000)
        let stale = world.db.principal(registration.party)
        let locked = try await world.service.openEscrow(
            OpenEscrowRequest(
                payee: world.payee.id, amount: try Amount(units: 1_000), asset: usdc,
                deliverBy: world.db.clock.now.adding(milliseconds: 3_600_000)),
            by: stale, idempotencyKey: nil
        ).value
        _ = try await world.service.changeStatus(
            of: registration.party.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        let head = try await world.service.store.head()

        let auth = await refusal { try await world.service.authenticate(apiKey: registration.apiKey) }
        #expect(auth?.code == .forbidden)
        let open = await refusal {
            try await world.service.openEscrow(
                OpenEscrowRequest(
                    payee: world.payee.id, amount: try Amount(units: 1_000), asset: usdc,
                    deliverBy: world.db.clock.now.adding(milliseconds: 3_600_000)),
                by: stale, idempotencyKey: nil)
        }
        #expect(open?.code == .forbidden)
        let cancel = await refusal {
            try await world.service.act(on: locked.id, .cancel, by: stale, idempotencyKey: nil)
        }
        #expect(cancel?.code == .forbidden)
        #expect(try await world.service.store.head() == head)

        // Reactivated, it may act again.
        _ = try await world.service.changeStatus(
            of: registration.party.id, .reactivate, by: world.db.operatorPrincipal, idempotencyKey: nil)
        #expect(try await world.service.authenticate(apiKey: registration.apiKey).id == registration.party.id)
        let cancelled = try await world.service.act(on: locked.id, .cancel, by: stale, idempotencyKey: nil)
        #expect(cancelled.value.state == .cancelled)
    }

    @Test("a suspended payee cannot deliver, and cannot be paid into a new escrow")
    func suspendedPayee() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        _ = try await world.service.changeStatus(
            of: world.payee.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        let head = try await world.service.store.head()
        let deliver = await refusal { try await world.act(.deliver, on: escrow.id, by: world.payee) }
        #expect(deliver?.code == .forbidden)
        let open = await refusal { try await world.open() }
        #expect(open?.code == .forbidden)
        #expect(try await world.service.store.head() == head)
    }

    @Test("a suspended operator cannot move funds")
    func suspendedOperator() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let second = try await world.db.register(name: "second-operator", roles: [.operator]).party
        _ = try await world.service.changeStatus(
            of: second.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        let head = try await world.service.store.head()
        let error = await refusal {
            try await world.service.deposit(
                FundsRequest(asset: usdc, amount: try Amount(units: 5)), to: world.payer.id,
                by: world.db.principal(second),
                idempotencyKey: nil)
        }
        #expect(error?.code == .forbidden)
        #expect(try await world.service.store.head() == head)
    }

    @Test("escrows and accounts are visible to their parties and operators only", arguments: Caller.allCases)
    func visibility(caller: Caller) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        let principal = world.db.principal(world.party(caller))
        let seen = await refusal { try await world.service.escrow(escrow.id, by: principal) }
        let account = await refusal { try await world.service.account(world.payer.id, by: principal) }
        let listed = await refusal {
            try await world.service.escrows(party: world.payer.id, state: nil, cursor: nil, limit: 10, by: principal)
        }
        switch caller {
        case .payer, .operator:
            #expect(seen == nil)
            #expect(account == nil)
            #expect(listed == nil)
        case .payee:
            #expect(seen == nil)
            #expect(account?.code == .forbidden)
            #expect(listed?.code == .forbidden)
        case .stranger:
            #expect(seen?.code == .forbidden)
            #expect(account?.code == .forbidden)
            #expect(listed?.code == .forbidden)
        }
    }

    @Test("insufficient funds and bad terms are refused without a write")
    func refusedOpen() async throws {
        let world = try await EscrowWorld.make(funds: 5_000)
        defer { world.close() }
        let head = try await world.service.store.head()
        #expect(await refusal { try await world.open(amount: 5_001) }?.code == .insufficientFunds)
        #expect(await refusal { try await world.open(amount: 0) }?.code == .invalidRequest)
        #expect(await refusal { try await world.open(deliverIn: 0) }?.code == .invalidRequest)
        #expect(
            await refusal { try await world.open(confirmWindowMs: 1_000, disputeWindowMs: 2_000) }?.code
                == .invalidRequest)
        let toSelf = await refusal {
            try await world.service.openEscrow(
                OpenEscrowRequest(
                    payee: world.payer.id, amount: try Amount(units: 1), asset: usdc,
                    deliverBy: world.db.clock.now.adding(milliseconds: 60_000)),
                by: world.db.principal(world.payer), idempotencyKey: nil)
        }
        #expect(toSelf?.code == .invalidRequest)
        let overdraw = await refusal {
            try await world.service.withdraw(
                FundsRequest(asset: usdc, amount: try Amount(units: 5_001)), from: world.payer.id,
                by: world.db.operatorPrincipal, idempotencyKey: nil)
        }
        #expect(overdraw?.code == .insufficientFunds)
        #expect(try await world.service.store.head() == head)
        #expect(try await world.open(amount: 5_000).state == .locked)
    }
}
