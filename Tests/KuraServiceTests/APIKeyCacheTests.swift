import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Logging
import Testing

@testable import KuraService

/// API-key authentications are remembered for a moment (``ServiceConfiguration/apiKeyCacheMs``): what a remembered
/// key may still do after its party changed, here and in another process on the same database.
@Suite("API keys remembered for a moment")
struct APIKeyCacheTests {
    /// A second service on `db`'s file: another process, as the CLI or another node would be.
    static func otherProcess(_ db: TestDatabase) throws -> KuraService {
        var writer = WriterConfiguration()
        writer.assertState = true
        return service(db, on: try KuraService.openStore(path: db.path, create: false, durable: false, writer: writer))
    }

    /// A service on `store` with `db`'s clock and keys and the secrets seeded "other".
    static func service(_ db: TestDatabase, on store: EventStore) -> KuraService {
        KuraService(
            store: store, signer: TestKeys.serviceSigner, clock: db.clock.clock, secrets: .seeded("other"),
            logger: Logger.quiet())
    }

    static func configuration(cacheMs: Int64) -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.apiKeyCacheMs = cacheMs
        return configuration
    }

    /// ``EscrowWorld/make(_:funds:)``'s parties, on a service that remembers keys for an hour (a loaded machine
    /// must not let a remembered key expire in the middle of a test).
    static func world(_ label: String = #function) async throws -> EscrowWorld {
        let db = try await TestDatabase(configuration: configuration(cacheMs: 3_600_000), label: label)
        do {
            let payer = try await db.register(name: "payer", roles: [.agent]).party
            let payee = try await db.register(name: "payee", roles: [.provider]).party
            let stranger = try await db.register(name: "stranger", roles: [.agent, .provider]).party
            try await db.deposit(party: payer, amount: 1_000_000)
            return EscrowWorld(db: db, payer: payer, payee: payee, stranger: stranger)
        } catch {
            db.close()
            throw error
        }
    }

    @Test("a key rotated or a party suspended through this service is refused at once, though it was remembered")
    func changedHere() async throws {
        let db = try await TestDatabase(configuration: Self.configuration(cacheMs: 3_600_000))
        defer { db.close() }
        let (party, oldKey) = try await db.register(name: "agent", roles: [.agent])
        #expect(try await db.service.authenticate(apiKey: oldKey).id == party.id)
        #expect(try await db.service.authenticate(apiKey: oldKey).id == party.id)

        let rotated = try await db.service.rotateAPIKey(of: party.id, by: db.principal(party), idempotencyKey: nil)
        let newKey = try #require(rotated.value.apiKey)
        #expect(await refusal { try await db.service.authenticate(apiKey: oldKey) }?.code == .unauthenticated)
        #expect(try await db.service.authenticate(apiKey: newKey).id == party.id)

        try await db.service.rotateTestKey(of: party.id, from: "agent", to: "agent-2", by: db.principal(party))
        #expect(try await db.service.authenticate(apiKey: newKey).party.publicKey == TestKeys.publicKey("agent-2"))

        _ = try await db.service.changeStatus(of: party.id, .suspend, by: db.operatorPrincipal, idempotencyKey: nil)
        #expect(await refusal { try await db.service.authenticate(apiKey: newKey) }?.code == .forbidden)
    }

    @Test("a stale key neither replays a stored answer nor moves money")
    func staleKeyMovesNothing() async throws {
        let world = try await Self.world()
        defer { world.close() }
        let db = world.db
        let other = try Self.otherProcess(db)
        defer { other.store.close() }
        let key = try #require(
            try await db.service.rotateAPIKey(of: world.payer.id, by: db.principal(world.payer), idempotencyKey: nil)
                .value.apiKey)
        let payer = try await db.service.authenticate(apiKey: key)
        let open = OpenEscrowRequest(
            payee: world.payee.id, amount: try Amount(units: 10_000), asset: try Asset("USDC"),
            deliverBy: Timestamp(milliseconds: TestClock.defaultStart.milliseconds + 3_600_000), memo: nil)
        _ = try await db.service.openEscrow(open, by: payer, idempotencyKey: "open-1")

        _ = try await other.rotateAPIKey(of: world.payer.id, by: other.authenticate(apiKey: key), idempotencyKey: nil)
        let stale = try await db.service.authenticate(apiKey: key)
        let head = try await db.store.head()
        let replay = await refusal { try await db.service.openEscrow(open, by: stale, idempotencyKey: "open-1") }
        #expect(replay?.code == .unauthenticated, "the stored answer is not the stale key's to read")
        let fresh = await refusal { try await db.service.openEscrow(open, by: stale, idempotencyKey: "open-2") }
        #expect(fresh?.code == .unauthenticated)
        #expect(try await db.store.head() == head)
        #expect(try await world.balance(world.payer).available == 1_000_000 - 10_000)
    }

    /// Review finding: a ruling's signature was checked with the principal's key as authentication saw it, which
    /// may now be a moment old: an arbiter's key rotated by another process still signed rulings here.
    @Test("a ruling is checked with the arbiter's key as the log has it, not as authentication remembered it")
    func rulingWithRotatedKey() async throws {
        let world = try await Self.world()
        defer { world.close() }
        let other = try Self.otherProcess(world.db)
        defer { other.store.close() }
        let (arbiter, key) = try await world.db.register(name: "arb", roles: [.arbiter])
        let disputeId = try await world.disputed(amount: 5_000).dispute
        _ = try await world.service.act(
            onDispute: disputeId, .evidence, body: ["statement": "delivered"], by: world.db.principal(world.payee),
            idempotencyKey: nil)
        let remembered = try await world.service.authenticate(apiKey: key)
        try await other.rotateTestKey(
            of: arbiter.id, from: "arb", to: "arb-2", by: other.authenticate(apiKey: key))
        #expect(try await world.service.authenticate(apiKey: key).party.publicKey == TestKeys.publicKey("arb"))

        let statement = RulingStatement(
            disputeId: disputeId, round: 1, arbiter: arbiter.id, refundBps: 10_000, reason: "empty",
            at: world.db.clock.now)
        func ruling(_ signer: String) throws -> JSONValue {
            try JSONValue(
                encoding: RulingRequest(
                    ruling: statement, signature: Base64.encode(try statement.signed(with: TestKeys.secretKey(signer))),
                    reason: "empty"))
        }
        let head = try await world.db.store.head()
        let old = await refusal {
            try await world.service.act(
                onDispute: disputeId, .rulings, body: try ruling("arb"), by: remembered, idempotencyKey: nil)
        }
        #expect(old != nil, "the rotated-away key signs nothing")
        #expect(try await world.db.store.head() == head)
        let decided = try await world.service.act(
            onDispute: disputeId, .rulings, body: try ruling("arb-2"), by: remembered, idempotencyKey: nil)
        #expect(decided.value.state == .decided)
    }

    /// Review finding: the writer's check first ran for every principal, and refused the retry of a settled x402
    /// payment once its payer was suspended (the payer's principal is made in-process, from the payment).
    @Test("a settled x402 payment's retry still gets the first answer after its payer is suspended")
    func settlementRetryAfterSuspension() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let x = X402Payments(world: world)
        let request = try x.pay(x.requirements(.exact))
        let settled = try await world.service.x402Settle(request)
        #expect(settled.success)
        _ = try await world.service.changeStatus(
            of: world.payer.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        #expect(try await world.service.x402Settle(request, repeats: .answer) == settled)
    }

    @Test("changed by another process: reads may use the remembered key for its lifetime, commands never")
    func changedElsewhere() async throws {
        let db = try await TestDatabase(configuration: Self.configuration(cacheMs: 3_600_000))
        defer { db.close() }
        let other = try Self.otherProcess(db)
        defer { other.store.close() }
        let (party, oldKey) = try await db.register(name: "agent", roles: [.agent])
        let remembered = try await db.service.authenticate(apiKey: oldKey)
        #expect(remembered.apiKeyHash == KuraService.hashAPIKey(oldKey))

        // The other process rotates the key: this one still knows the old key for reads (documented) …
        _ = try await other.rotateAPIKey(of: party.id, by: other.authenticate(apiKey: oldKey), idempotencyKey: nil)
        let stale = try await db.service.authenticate(apiKey: oldKey)
        #expect(stale.id == party.id)
        // … but its writer checks the principal against the log: the old key writes nothing.
        let head = try await db.store.head()
        let write = await refusal {
            try await db.service.rotateAPIKey(of: party.id, by: stale, idempotencyKey: "k1")
        }
        #expect(write?.code == .unauthenticated)
        #expect(try await db.store.head() == head)

        // Suspended elsewhere: a principal of the current key is refused by the writer too.
        let (second, secondKey) = try await db.register(name: "second", roles: [.agent])
        let current = try await db.service.authenticate(apiKey: secondKey)
        _ = try await other.changeStatus(
            of: second.id, .suspend, by: other.authenticate(apiKey: db.operatorRegistration.apiKey!),
            idempotencyKey: nil)
        let suspended = await refusal {
            try await db.service.rotateAPIKey(of: second.id, by: current, idempotencyKey: nil)
        }
        #expect(suspended?.code == .forbidden)
    }

    /// Adversarial review: a signed request's party is read once, before the writer, and its principal was not
    /// checked again there (only API-key principals were). A request signed with a key that another process
    /// rotated away (the usual answer to a leaked key) or of a party it suspended, authenticated a moment before
    /// that change and queued behind it, still moved the party's money.
    @Test("a signed request authenticated before another process rotated its key or suspended its party writes nothing")
    func signedRequestChangedElsewhere() async throws {
        let world = try await Self.world()
        defer { world.close() }
        let db = world.db
        let other = try Self.otherProcess(db)
        defer { other.store.close() }
        let operatorHere = try await other.authenticate(apiKey: db.operatorRegistration.apiKey!)
        func signed(_ party: Party, _ key: String, _ nonce: String) async throws -> Principal {
            try await db.service.authenticate(
                RequestSigningTests.v2(
                    instance: db.service.instance, party: party.id, key: key, path: "/v1/escrows", nonce: nonce,
                    timestamp: db.clock.now))
        }
        let open = OpenEscrowRequest(
            payee: world.payee.id, amount: try Amount(units: 10_000), asset: try Asset("USDC"),
            deliverBy: Timestamp(milliseconds: TestClock.defaultStart.milliseconds + 3_600_000), memo: nil)

        // Authenticated with the payer's key; then the other process rotates it away.
        let leaked = try await signed(world.payer, "payer", "nonce-leaked-1")
        try await other.rotateTestKey(of: world.payer.id, from: "payer", to: "payer-2", by: operatorHere)
        let head = try await db.store.head()
        let rotated = await refusal { try await db.service.openEscrow(open, by: leaked, idempotencyKey: nil) }
        #expect(rotated?.code == .unauthenticated)
        #expect(try await db.store.head() == head)
        #expect(try await world.balance(world.payer).available == 1_000_000)

        // Authenticated; then the other process suspends the party: a command with no status check of its own (a
        // reservation's settle by its counterparty) is refused as well, and the hold stays where it is.
        let mandate = try await db.service.createMandate(
            CreateMandateRequest(
                agent: world.payer.id, asset: try Asset("USDC"), amount: try Amount(units: 50_000),
                perTxCap: try Amount(units: 10_000), dailyCap: try Amount(units: 50_000),
                allowedCounterparties: [world.payee.id], expiresAt: db.clock.now.adding(milliseconds: 86_400_000)),
            by: db.principal(world.payer), idempotencyKey: nil
        ).value
        let reserved = try await db.service.verify(
            ReservationVerifyRequest(
                amount: try Amount(units: 5_000), lane: .enterprise, mandate: mandate.id, agent: world.payer.id,
                counterparty: world.payee.id),
            by: db.principal(world.payer), idempotencyKey: nil
        ).value
        let payee = try await signed(world.payee, "payee", "nonce-payee-1")
        _ = try await other.changeStatus(of: world.payee.id, .suspend, by: operatorHere, idempotencyKey: nil)
        let settle = ReservationSettleRequest(reservationId: reserved.reservationId, envelope: reserved.envelope)
        let suspended = await refusal { try await db.service.settle(settle, by: payee, idempotencyKey: nil) }
        #expect(suspended?.code == .forbidden)
        #expect(try await world.balance(world.payee).available == 0)
    }

    @Test("the lifetime ends a remembered key; with 0 nothing is remembered")
    func lifetime() async throws {
        for cacheMs: Int64 in [0, 50] {
            let db = try await TestDatabase(configuration: Self.configuration(cacheMs: cacheMs))
            defer { db.close() }
            let other = try Self.otherProcess(db)
            defer { other.store.close() }
            let (party, oldKey) = try await db.register(name: "agent", roles: [.agent])
            _ = try await db.service.authenticate(apiKey: oldKey)
            _ = try await other.rotateAPIKey(of: party.id, by: other.authenticate(apiKey: oldKey), idempotencyKey: nil)
            if cacheMs > 0 { try await Task.sleep(for: .milliseconds(400)) }
            #expect(
                await refusal { try await db.service.authenticate(apiKey: oldKey) }?.code == .unauthenticated,
                "lifetime \(cacheMs) ms")
        }
    }

    @Test("an unknown key is never remembered: registered elsewhere, it works here at once")
    func unknownNotRemembered() async throws {
        let db = try await TestDatabase(configuration: Self.configuration(cacheMs: 3_600_000))
        defer { db.close() }
        let other = try Self.otherProcess(db)
        defer { other.store.close() }
        // The other process's secrets are seeded: a twin with the same seed tells its next API key in advance.
        let key = Self.service(db, on: other.store).newAPIKey()
        #expect(await refusal { try await db.service.authenticate(apiKey: key) }?.code == .unauthenticated)
        let registration = try await other.registerParty(
            RegisterPartyRequest(name: "late", roles: [.agent], publicKey: TestKeys.publicKey("late").base64),
            by: other.authenticate(apiKey: db.operatorRegistration.apiKey!), idempotencyKey: nil)
        #expect(registration.value.apiKey == key)
        #expect(try await db.service.authenticate(apiKey: key).id == registration.value.party.id)
    }

    @Test("a read that began before a change is not remembered after it")
    func generation() throws {
        let cache = APIKeyCache(lifetimeMs: 3_600_000)
        let party = try Party(
            id: PartyID.derive(command: "p", seq: 0), name: "p", roles: [.agent], publicKey: TestKeys.publicKey("p"),
            status: .active)
        let before = cache.currentGeneration()
        cache.forgetAll()
        cache.remember("h", party: party, since: before)
        #expect(cache.party(forKeyHash: "h") == nil)
        cache.remember("h", party: party, since: cache.currentGeneration())
        #expect(cache.party(forKeyHash: "h") == party)
        cache.forgetAll()
        #expect(cache.party(forKeyHash: "h") == nil)
    }
}
