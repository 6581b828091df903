import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

/// Issue 14, finding 8: a signed request must be good for one party on one Kura instance. The v1 text names
/// neither, so a request captured on one instance replays on another where the same key is registered (the
/// same setup gives the same party IDs), and a request of one party replays as another party holding the
/// same key. `kura-request-v2` binds both; a second party cannot register a key that is already taken.
@Suite("request signatures bound to the party and the instance")
struct RequestSigningTests {
    /// The v2 text as a client writes it from Docs/authentication.md (not through Kura's own helper):
    /// `kura-request-v2`, instance, party, method, path with query, timestamp, nonce, hex SHA-256 of the body.
    static func v2(
        instance: String, party: PartyID, key: String, path: String, nonce: String, timestamp: Timestamp,
        body: [UInt8] = []
    ) -> SignedRequest {
        let text = [
            "kura-request-v2", instance, party.rawValue, "GET", path, String(timestamp.milliseconds), nonce,
            Hex.encode(SHA256.hash(body)),
        ].joined(separator: "\n")
        return SignedRequest(
            party: party.rawValue, timestamp: String(timestamp.milliseconds), nonce: nonce,
            signature: Base64.encode(TestKeys.secretKey(key).signature(for: Array(text.utf8))), method: "GET",
            pathWithQuery: path, body: body)
    }

    /// The v1 text (deprecated): no party, no instance.
    static func v1(party: PartyID, key: String, path: String, nonce: String, timestamp: Timestamp) -> SignedRequest {
        let text = [
            "kura-request-v1", "GET", path, String(timestamp.milliseconds), nonce, Hex.encode(SHA256.hash([UInt8]())),
        ].joined(separator: "\n")
        return SignedRequest(
            party: party.rawValue, timestamp: String(timestamp.milliseconds), nonce: nonce,
            signature: Base64.encode(TestKeys.secretKey(key).signature(for: Array(text.utf8))), method: "GET",
            pathWithQuery: path, body: [])
    }

    /// An instance's name in the signed text: its log key's name and key ID, as in `GET /v1/log/key`.
    static func instance(of signer: NoteSigner) -> String { "\(signer.name)+\(Hex.encode(signer.keyID))" }

    /// A second Kura instance with its own log key, set up like the first.
    static func otherInstance(clock: TestClock, configuration: ServiceConfiguration = .init()) async throws -> (
        KuraService, NoteSigner, URL
    ) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kura-other-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let signer = try NoteSigner(name: "other.kura/log", key: TestKeys.secretKey("other-instance"))
        let service = KuraService(
            store: try KuraService.openStore(path: dir.appendingPathComponent("k.sqlite").path, create: true),
            signer: signer, clock: clock.clock, configuration: configuration, secrets: .seeded("test"),
            logger: Logger.quiet("other"))
        _ = try await service.bootstrapOperator()
        return (service, signer, dir)
    }

    @Test("a v2 request is accepted where it was signed for, and refused by another instance with the same party")
    func boundToInstance() async throws {
        let db = try await TestDatabase(label: "instance-a")
        defer { db.close() }
        let (other, otherSigner, otherDir) = try await Self.otherInstance(clock: db.clock)
        defer {
            other.store.close()
            try? FileManager.default.removeItem(at: otherDir)
        }
        let agent = try await db.register(name: "agent", roles: [.agent]).party
        let twin = try await other.registerParty(
            RegisterPartyRequest(name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64),
            by: Principal(party: try #require(try other.firstOperator())), idempotencyKey: nil
        ).value.party
        #expect(twin.id == agent.id, "the same setup gives the same party ID on both instances")

        let path = "/v1/accounts/\(agent.id)"
        let forA = Self.v2(
            instance: Self.instance(of: TestKeys.serviceSigner), party: agent.id, key: "agent", path: path,
            nonce: "nonce-a-0001", timestamp: db.clock.now)
        #expect(try await db.service.authenticate(forA).id == agent.id)
        let replayed = await refusal { try await other.authenticate(forA) }
        #expect(replayed?.code == .unauthenticated)
        // Signed for the other instance, it is good there and not here.
        let forB = Self.v2(
            instance: Self.instance(of: otherSigner), party: agent.id, key: "agent", path: path,
            nonce: "nonce-b-0001", timestamp: db.clock.now)
        #expect(try await other.authenticate(forB).id == agent.id)
        #expect(await refusal { try await db.service.authenticate(forB) }?.code == .unauthenticated)

        // The deprecated v1 text names no instance: until its end date a v1 request still replays on another
        // instance (the documented risk of the deprecation period); once v1 has ended there, it does not.
        let v1 = Self.v1(party: agent.id, key: "agent", path: path, nonce: "nonce-v1-0001", timestamp: db.clock.now)
        #expect(try await db.service.authenticate(v1).id == agent.id)
        #expect(try await other.authenticate(v1).id == agent.id)
        var ended = ServiceConfiguration()
        ended.requestSignatureV1Until = nil
        let (strict, _, strictDir) = try await Self.otherInstance(clock: db.clock, configuration: ended)
        defer {
            strict.store.close()
            try? FileManager.default.removeItem(at: strictDir)
        }
        _ = try await strict.registerParty(
            RegisterPartyRequest(name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64),
            by: Principal(party: try #require(try strict.firstOperator())), idempotencyKey: nil)
        #expect(await refusal { try await strict.authenticate(v1) }?.code == .unauthenticated)
    }

    /// A database from before this change may hold two parties with one key: register the second one with
    /// a raw event, as an older Kura would have.
    static func legacyTwin(of party: Party, _ db: TestDatabase) async throws -> PartyID {
        let id = PartyID.derive(command: "legacy twin", seq: 99)
        let twin = try Party(id: id, name: "twin", roles: [.agent], publicKey: party.publicKey)
        let event = PartyEvent.registered(twin, apiKeyHash: Hex.encode(SHA256.hash(Array("legacy".utf8))))
        _ = try await db.store.append(
            [NewEvent(stream: "party/\(id)", type: event.type, payload: event.payload)], actor: "system",
            commandId: "cmd_legacy", at: db.clock.now, idempotency: nil)
        return id
    }

    @Test("a request signed by one party does not pass as another party holding the same key")
    func boundToParty() async throws {
        let db = try await TestDatabase(label: "party")
        defer { db.close() }
        let agent = try await db.register(name: "agent", roles: [.agent]).party
        let twin = try await Self.legacyTwin(of: agent, db)
        let instance = Self.instance(of: TestKeys.serviceSigner)
        let path = "/v1/accounts/\(agent.id)"
        // v2, signed as the agent, presented as the twin.
        var asTwin = Self.v2(
            instance: instance, party: agent.id, key: "agent", path: path, nonce: "nonce-p-0001",
            timestamp: db.clock.now)
        asTwin.party = twin.rawValue
        #expect(await refusal { try await db.service.authenticate(asTwin) }?.code == .unauthenticated)
        // v1 cannot tell the two apart, so a v1 signature by a key two parties hold is refused outright.
        var v1AsTwin = Self.v1(
            party: agent.id, key: "agent", path: path, nonce: "nonce-p-0002", timestamp: db.clock.now)
        v1AsTwin.party = twin.rawValue
        #expect(await refusal { try await db.service.authenticate(v1AsTwin) }?.code == .unauthenticated)
    }

    @Test("a second party cannot register a public key that is already registered: 409 public_key_taken")
    func publicKeyTaken() async throws {
        let db = try await TestDatabase(label: "taken")
        defer { db.close() }
        _ = try await db.register(name: "agent", roles: [.agent])
        let head = try await db.store.head()
        let error = await refusal {
            try await db.service.registerParty(
                RegisterPartyRequest(name: "copy", roles: [.provider], publicKey: TestKeys.publicKey("agent").base64),
                by: db.operatorPrincipal, idempotencyKey: nil)
        }
        #expect(error?.code.rawValue == "public_key_taken")
        #expect(try await db.store.head() == head)
        // Kura's own key (the bootstrapped operator's) is taken too.
        let kura = await refusal {
            try await db.service.registerParty(
                RegisterPartyRequest(
                    name: "impostor", roles: [.arbiter], publicKey: TestKeys.serviceSigner.key.publicKey.base64),
                by: db.operatorPrincipal, idempotencyKey: nil)
        }
        #expect(kura?.code.rawValue == "public_key_taken")
    }

    /// The writer decides registrations and rotations against its memory: a key taken earlier in the same batch
    /// is not yet a row, so the lookup lays the batch's parties over the rows (storage boundary, issue 15).
    @Test("one key registered or rotated to many times at once, in one batch: exactly one wins")
    func keyTakenInOneBatch() async throws {
        let db = try await TestDatabase(label: "taken-batch")
        defer { db.close() }
        let key = TestKeys.publicKey("shared").base64
        let registrations = await withTaskGroup(of: String.self) { group in
            for n in 0..<16 {
                group.addTask {
                    do {
                        _ = try await db.service.registerParty(
                            RegisterPartyRequest(name: "claimant \(n)", roles: [.agent], publicKey: key),
                            by: db.operatorPrincipal, idempotencyKey: nil)
                        return "ok"
                    } catch { return (error as? KuraError)?.code.rawValue ?? "\(error)" }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(registrations.filter { $0 == "ok" }.count == 1, "\(registrations)")
        #expect(registrations.filter { $0 == "public_key_taken" }.count == 15, "\(registrations)")

        // Parties rotating to one new key together: one gets it.
        var parties: [Party] = []
        for n in 0..<8 { parties.append(try await db.register(name: "rotator \(n)", roles: [.agent]).party) }
        let instance = db.service.instance
        let rotations = await withTaskGroup(of: String.self) { group in
            for party in parties {
                group.addTask {
                    do {
                        let request = RotateKeyRequest(
                            instance: instance, party: party.id, from: party.publicKey,
                            to: TestKeys.secretKey("target"))
                        _ = try await db.service.rotateKey(
                            of: party.id, request, by: db.operatorPrincipal, idempotencyKey: nil)
                        return "ok"
                    } catch { return (error as? KuraError)?.code.rawValue ?? "\(error)" }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(rotations.filter { $0 == "ok" }.count == 1, "\(rotations)")
        #expect(rotations.filter { $0 == "public_key_taken" }.count == 7, "\(rotations)")
        #expect(try await db.service.writerStateDifferences() == [])
    }
}
