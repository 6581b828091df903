import Foundation
import KuraCore
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
        let store = try KuraService.openStore(path: db.path, create: false, durable: false, writer: writer)
        return KuraService(
            store: store, signer: TestKeys.serviceSigner, clock: db.clock.clock, secrets: .seeded("other"),
            logger: Logger(label: "kura.test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func configuration(cacheMs: Int64) -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.apiKeyCacheMs = cacheMs
        return configuration
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

        _ = try await db.service.changeStatus(of: party.id, .suspend, by: db.operatorPrincipal, idempotencyKey: nil)
        #expect(await refusal { try await db.service.authenticate(apiKey: newKey) }?.code == .forbidden)
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
        let registration = try await other.registerParty(
            RegisterPartyRequest(name: "late", roles: [.agent], publicKey: TestKeys.publicKey("late").base64),
            by: other.authenticate(apiKey: db.operatorRegistration.apiKey!), idempotencyKey: nil)
        let key = try #require(registration.value.apiKey)
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
