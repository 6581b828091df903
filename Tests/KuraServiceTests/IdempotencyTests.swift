import KuraCore
import KuraService
import KuraTesting
import Testing

@Suite("Idempotency keys")
struct IdempotencyTests {
    func openRequest(_ world: EscrowWorld, amount: UInt64 = 10_000, memo: String? = nil) throws -> OpenEscrowRequest {
        OpenEscrowRequest(
            payee: world.payee.id, amount: try Amount(units: amount), asset: usdc,
            deliverBy: Timestamp(milliseconds: TestClock.defaultStart.milliseconds + 3_600_000), memo: memo)
    }

    @Test("the same key and request replay the stored answer and write nothing")
    func replayOpen() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let payer = world.db.principal(world.payer)
        let first = try await world.service.openEscrow(try openRequest(world), by: payer, idempotencyKey: "open-1")
        #expect(first.replayed == false)
        let head = try await world.service.store.head()
        // Even later, the answer is the stored one (the same lockedAt), not a second escrow.
        world.db.clock.advance(by: 5_000)
        let second = try await world.service.openEscrow(try openRequest(world), by: payer, idempotencyKey: "open-1")
        #expect(second.replayed == true)
        #expect(second.value == first.value)
        #expect(try await world.service.store.head() == head)
        #expect(try await world.balance(world.payer) == .init(asset: usdc, available: 990_000, held: 10_000))
    }

    @Test("the same key with another request is an idempotency conflict, and writes nothing")
    func conflict() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let payer = world.db.principal(world.payer)
        _ = try await world.service.openEscrow(try openRequest(world), by: payer, idempotencyKey: "k")
        let head = try await world.service.store.head()
        let amount = await refusal {
            try await world.service.openEscrow(try openRequest(world, amount: 10_001), by: payer, idempotencyKey: "k")
        }
        #expect(amount?.code == .idempotencyConflict)
        let memo = await refusal {
            try await world.service.openEscrow(try openRequest(world, memo: "x"), by: payer, idempotencyKey: "k")
        }
        #expect(memo?.code == .idempotencyConflict)
        #expect(try await world.service.store.head() == head)
    }

    /// The command is hashed from the request's canonical bytes, written straight from the typed request; one
    /// whose bytes cannot be written (a window beyond ±2^53-1 ms, possible only through the Swift API) is refused
    /// with the encoder's error, as through a `JSONValue`, and writes nothing.
    @Test("a request that has no canonical JSON is refused and writes nothing")
    func requestWithoutCanonicalJSON() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let payer = world.db.principal(world.payer)
        let head = try await world.service.store.head()
        var request = try openRequest(world)
        request.disputeWindowMs = 1 << 60
        let refused = await refusal {
            try await world.service.openEscrow(request, by: payer, idempotencyKey: "too-long")
        }
        #expect(refused?.code == .internalError)
        #expect(refused?.detail.contains("beyond") == true)
        #expect(try await world.service.store.head() == head)
    }

    @Test("a key used for one operation conflicts with another operation with the same body")
    func conflictAcrossOperations() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let funds = FundsRequest(asset: usdc, amount: try Amount(units: 100))
        _ = try await world.service.deposit(
            funds, to: world.payer.id, by: world.db.operatorPrincipal, idempotencyKey: "move")
        let head = try await world.service.store.head()
        let withdraw = await refusal {
            try await world.service.withdraw(
                funds, from: world.payer.id, by: world.db.operatorPrincipal, idempotencyKey: "move")
        }
        #expect(withdraw?.code == .idempotencyConflict)
        let otherParty = await refusal {
            try await world.service.deposit(
                funds, to: world.payee.id, by: world.db.operatorPrincipal, idempotencyKey: "move")
        }
        #expect(otherParty?.code == .idempotencyConflict)
        #expect(try await world.service.store.head() == head)
    }

    @Test("keys are scoped per caller: two payers may use the same key")
    func perCaller() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        try await world.db.deposit(party: world.stranger, amount: 50_000)
        let a = try await world.service.openEscrow(
            try openRequest(world), by: world.db.principal(world.payer), idempotencyKey: "same")
        let b = try await world.service.openEscrow(
            try openRequest(world), by: world.db.principal(world.stranger), idempotencyKey: "same")
        #expect(a.replayed == false)
        #expect(b.replayed == false)
        #expect(a.value.id != b.value.id)
        #expect(b.value.terms.payer == world.stranger.id)
        #expect(try await world.balance(world.stranger).held == 10_000)
    }

    @Test(
        "a repeated escrow action replays instead of failing as a second transition", arguments: EscrowAction.allCases)
    func replayAction(action: EscrowAction) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let escrow = try await world.open()
        if action == .confirm || action == .dispute { try await world.act(.deliver, on: escrow.id, by: world.payee) }
        let caller = AuthorizationTests.allowed(action) == .payer ? world.payer : world.payee
        let principal = world.db.principal(caller)
        let first = try await world.service.act(
            on: escrow.id, action, body: body(for: action), by: principal, idempotencyKey: "act")
        let head = try await world.service.store.head()
        let again = try await world.service.act(
            on: escrow.id, action, body: body(for: action), by: principal, idempotencyKey: "act")
        #expect(first.replayed == false)
        #expect(again.replayed == true)
        #expect(again.value == first.value)
        #expect(try await world.service.store.head() == head)
        // Without the key, the same action is a new command, and the state machine refuses it
        // (refund is allowed from every open state, so refunding twice fails too).
        let fresh = await refusal {
            try await world.service.act(
                on: escrow.id, action, body: body(for: action), by: principal, idempotencyKey: nil)
        }
        #expect(fresh?.code == .invalidTransition)
    }

    @Test("a replayed registration omits the API key; the first answer carries it")
    func registrationReplay() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let request = RegisterPartyRequest(name: "bot", roles: [.agent], publicKey: TestKeys.publicKey("bot").base64)
        let first = try await world.service.registerParty(
            request, by: world.db.operatorPrincipal, idempotencyKey: "reg")
        let head = try await world.service.store.head()
        let again = try await world.service.registerParty(
            request, by: world.db.operatorPrincipal, idempotencyKey: "reg")
        let apiKey = try #require(first.value.apiKey)
        #expect(first.replayed == false)
        #expect(again.replayed == true)
        #expect(again.value.apiKey == nil)
        #expect(again.value.party == first.value.party)
        #expect(again.value.passport == first.value.passport)
        #expect(try await world.service.store.head() == head)
        #expect(try await world.service.authenticate(apiKey: apiKey).id == first.value.party.id)
    }

    @Test("a refused command does not use up its key")
    func refusedKeepsKey() async throws {
        let world = try await EscrowWorld.make(funds: 0)
        defer { world.close() }
        let payer = world.db.principal(world.payer)
        let refused = await refusal {
            try await world.service.openEscrow(try openRequest(world), by: payer, idempotencyKey: "retry")
        }
        #expect(refused?.code == .insufficientFunds)
        try await world.db.deposit(party: world.payer, amount: 10_000)
        let accepted = try await world.service.openEscrow(try openRequest(world), by: payer, idempotencyKey: "retry")
        #expect(accepted.replayed == false)
        #expect(accepted.value.state == .locked)
    }

    @Test("keys must be 1 to 255 characters", arguments: ["", String(repeating: "k", count: 256)])
    func badKey(key: String) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let head = try await world.service.store.head()
        let error = await refusal {
            try await world.service.openEscrow(
                try openRequest(world), by: world.db.principal(world.payer), idempotencyKey: key)
        }
        #expect(error?.code == .invalidRequest)
        #expect(try await world.service.store.head() == head)
    }
}
