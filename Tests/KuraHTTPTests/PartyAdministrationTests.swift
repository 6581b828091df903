import Foundation
import HTTPTypes
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// Issue 14, finding 6: a leaked key must be revocable. An operator suspends, reactivates and revokes a
/// party; a party rotates its own signing key (proving it holds the new one) and its API key; the old key
/// stops at once; every change is an event in the log.
@Suite("party administration: suspend, reactivate, revoke, key and API-key rotation")
struct PartyAdministrationTests {
    @Test("an operator suspends (403 at once), reactivates (200 again) and revokes (final) a party")
    func statusChanges() async throws {
        let fixture = try await HTTPFixture(label: "status")
        try await fixture.test { api in
            let agent = try await api.register("agent", roles: ["agent"])
            let me = "/v1/accounts/\(agent.id)"
            #expect(try await api.send(.get, me, as: .bearer(agent.apiKey)).status == .ok)

            // Only an operator changes a party's status.
            let bySelf = try await api.send(.post, "/v1/parties/\(agent.id)/suspend", as: .bearer(agent.apiKey))
            #expect(bySelf.status == .forbidden && bySelf.code == "forbidden", "\(bySelf)")

            let suspended = try await api.send(.post, "/v1/parties/\(agent.id)/suspend", as: api.operatorCaller)
            #expect(suspended.status == .ok && suspended.json["status"] == "suspended", "\(suspended)")
            for caller in [Caller.bearer(agent.apiKey), .signed(agent.id, keyName: "agent")] {
                let refused = try await api.send(.get, me, as: caller)
                #expect(refused.status == .forbidden && refused.code == "forbidden", "\(refused)")
            }
            let again = try await api.send(.post, "/v1/parties/\(agent.id)/suspend", as: api.operatorCaller)
            #expect(again.status == .conflict && again.code == "invalid_transition")

            let reactivated = try await api.send(.post, "/v1/parties/\(agent.id)/reactivate", as: api.operatorCaller)
            #expect(reactivated.status == .ok && reactivated.json["status"] == "active")
            #expect(try await api.send(.get, me, as: .bearer(agent.apiKey)).status == .ok)

            let revoked = try await api.send(.post, "/v1/parties/\(agent.id)/revoke", as: api.operatorCaller)
            #expect(revoked.status == .ok && revoked.json["status"] == "revoked")
            #expect(try await api.send(.get, me, as: .bearer(agent.apiKey)).status == .forbidden)
            let back = try await api.send(.post, "/v1/parties/\(agent.id)/reactivate", as: api.operatorCaller)
            #expect(back.status == .conflict && back.code == "invalid_transition")
            // A revoked party cannot rotate its way back in either.
            let rotate = try await api.send(.post, "/v1/parties/\(agent.id)/api-key", as: api.operatorCaller)
            #expect(rotate.status == .conflict && rotate.code == "invalid_transition", "\(rotate)")

            let types = try await fixture.db.store.events(inStream: "party/\(agent.id)").map(\.type)
            #expect(
                types == [
                    "party.registered", "party.status_changed", "party.status_changed", "party.status_changed",
                ])
        }
    }

    @Test("a party rotates its API key: the new key works, the old one is refused at once")
    func apiKeyRotation() async throws {
        let fixture = try await HTTPFixture(label: "apikey")
        try await fixture.test { api in
            let agent = try await api.register("agent", roles: ["agent"])
            let other = try await api.register("other", roles: ["agent"])
            let me = "/v1/accounts/\(agent.id)"
            // Nobody else (but an operator) rotates it.
            let stranger = try await api.send(.post, "/v1/parties/\(agent.id)/api-key", as: .bearer(other.apiKey))
            #expect(stranger.status == .forbidden, "\(stranger)")

            let rotated = try await api.send(
                .post, "/v1/parties/\(agent.id)/api-key", as: .bearer(agent.apiKey), idempotencyKey: "rot-1")
            #expect(rotated.status == .ok, "\(rotated)")
            let fresh = try #require(rotated.json["apiKey"]?.stringValue)
            #expect(fresh != agent.apiKey && fresh.hasPrefix("kura_"))
            let old = try await api.send(.get, me, as: .bearer(agent.apiKey))
            #expect(old.status == .unauthorized && old.code == "unauthenticated")
            #expect(try await api.send(.get, me, as: .bearer(fresh)).status == .ok)
            // A replay of the rotation shows no key and rotates nothing.
            let replay = try await api.send(
                .post, "/v1/parties/\(agent.id)/api-key", as: .bearer(fresh), idempotencyKey: "rot-1")
            #expect(replay.status == .ok && replay.json["apiKey"] == nil && replay.replayed)
            #expect(try await api.send(.get, me, as: .bearer(fresh)).status == .ok)

            // An operator rotates a key the party has lost.
            let byOperator = try await api.send(.post, "/v1/parties/\(other.id)/api-key", as: api.operatorCaller)
            let third = try #require(byOperator.json["apiKey"]?.stringValue)
            #expect(
                try await api.send(.get, "/v1/accounts/\(other.id)", as: .bearer(other.apiKey)).status == .unauthorized)
            #expect(try await api.send(.get, "/v1/accounts/\(other.id)", as: .bearer(third)).status == .ok)
            let types = try await fixture.db.store.events(inStream: "party/\(agent.id)").map(\.type)
            #expect(types == ["party.registered", "party.api_key_rotated"])
        }
    }

    /// The proof that the caller holds the new key (named `newKey` in TestKeys): its signature over
    /// `kura-key-rotation-v1 LF instance LF party LF old key LF new key` (Docs/authentication.md).
    static func proof(party: PartyID, oldKey: String, newKey: String, instance: String) -> String {
        let text = [
            "kura-key-rotation-v1", instance, party.rawValue, TestKeys.publicKey(oldKey).base64,
            TestKeys.publicKey(newKey).base64,
        ].joined(separator: "\n")
        return Base64.encode(TestKeys.secretKey(newKey).signature(for: Array(text.utf8)))
    }

    @Test("a party rotates its signing key: requests signed with the old key are refused at once")
    func signingKeyRotation() async throws {
        let fixture = try await HTTPFixture(label: "rotate")
        try await fixture.test { api in
            let agent = try await api.register("agent", roles: ["agent"])
            _ = try await api.register("holder", roles: ["agent"])
            let me = "/v1/accounts/\(agent.id)"
            let instanceKey = try await api.send(.get, "/v1/log/key")
            let instance = instanceKey.text.split(separator: "+").prefix(2).joined(separator: "+")
            let new = TestKeys.publicKey("agent-2").base64
            func rotate(to key: String, proof: String, as caller: Caller) async throws -> Answer {
                try await api.send(
                    .post, "/v1/parties/\(agent.id)/key", as: caller,
                    json: ["publicKey": .string(key), "proof": .string(proof)])
            }
            // Without a proof by the new key: refused, nothing changes.
            let before = try await fixture.seq()
            let unproven = try await rotate(
                to: new, proof: Base64.encode([UInt8](repeating: 1, count: 64)), as: .bearer(agent.apiKey))
            #expect(unproven.status == .unprocessableContent && unproven.code == "invalid_signature", "\(unproven)")
            // A key another party holds: 409 public_key_taken.
            let taken = try await rotate(
                to: TestKeys.publicKey("holder").base64,
                proof: Self.proof(party: agent.id, oldKey: "agent", newKey: "holder", instance: instance),
                as: .bearer(agent.apiKey))
            #expect(taken.status == .conflict && taken.code == "public_key_taken", "\(taken)")
            #expect(try await fixture.seq() == before)

            let rotated = try await rotate(
                to: new, proof: Self.proof(party: agent.id, oldKey: "agent", newKey: "agent-2", instance: instance),
                as: .signed(agent.id, keyName: "agent"))
            #expect(rotated.status == .ok && rotated.json["party"]?["publicKey"]?.stringValue == new, "\(rotated)")
            let stale = try await api.send(.get, me, as: .signed(agent.id, keyName: "agent"))
            #expect(stale.status == .unauthorized && stale.code == "unauthenticated")
            #expect(try await api.send(.get, me, as: .signed(agent.id, keyName: "agent-2")).status == .ok)
            // The passport in the answer is signed over the new record.
            #expect(rotated.json["passport"]?["party"]?["publicKey"]?.stringValue == new)
            let types = try await fixture.db.store.events(inStream: "party/\(agent.id)").map(\.type)
            #expect(types == ["party.registered", "party.key_rotated"])
        }
    }

    @Test("registering a second party with a key already registered is 409 public_key_taken")
    func duplicateKeyOverHTTP() async throws {
        let fixture = try await HTTPFixture(label: "dupkey")
        try await fixture.test { api in
            _ = try await api.register("agent", roles: ["agent"])
            let before = try await fixture.seq()
            let copy = try await api.send(
                .post, "/v1/parties", as: api.operatorCaller,
                json: [
                    "name": "copy", "roles": ["provider"], "publicKey": .string(TestKeys.publicKey("agent").base64),
                ])
            #expect(copy.status == .conflict && copy.code == "public_key_taken", "\(copy)")
            #expect(try await fixture.seq() == before)
        }
    }

    @Test("the CLI, locally and against a server: suspend, reactivate, rotate-api-key, rotate-key, revoke")
    func cli() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = ["--db", dir.path("k.sqlite")]
        func run(_ arguments: [String]) async throws -> CLIResult { try await runKura(arguments, in: dir) }
        func json(_ arguments: [String]) async throws -> JSONValue {
            let result = try await run(arguments + ["--json"])
            try #require(result.status == 0, "\(arguments): \(result)")
            return try JSONValue.parse(result.stdout)
        }
        let initialised = try await json(["init"] + db)
        let operatorKey = try #require(initialised["operatorApiKey"]?.stringValue)
        var keys: [String: String] = [:]
        for name in ["alice", "alice-2", "alice-3"] {
            let key = try await json(["keys", "generate", "--out", "\(name).key", "--name", name])
            keys[name] = try #require(key["publicKey"]?.stringValue)
        }
        let alice = try await json(
            ["party", "add", "--name", "alice", "--role", "agent", "--key-file", "alice.key"] + db)
        let id = try #require(alice["party"]?["id"]?.stringValue)

        // Locally (--db), as the operator.
        #expect(try await json(["party", "suspend", id] + db)["status"] == "suspended")
        let twice = try await run(["party", "suspend", id] + db)
        #expect(twice.status == 75 && twice.stderr.hasPrefix("kura: invalid_transition:"), "\(twice)")
        #expect(try await json(["party", "reactivate", id] + db)["status"] == "active")
        let rotated = try await json(["party", "rotate-key", id, "--key-file", "alice-2.key"] + db)
        #expect(rotated["party"]?["publicKey"]?.stringValue == keys["alice-2"])
        let copy = try await run(
            ["party", "add", "--name", "copy", "--role", "agent", "--key-file", "alice-2.key"] + db)
        #expect(copy.status == 75 && copy.stderr.hasPrefix("kura: public_key_taken:"), "\(copy)")

        // Against a server, alice with her own API key, the operator with theirs.
        let server = try await ServerProcess.start(database: dir.path("k.sqlite"), in: dir)
        let remote = ["--server", server.url]
        let fresh = try await json(
            ["party", "rotate-api-key", id, "--api-key", try #require(alice["apiKey"]?.stringValue)] + remote)
        let newKey = try #require(fresh["apiKey"]?.stringValue)
        let stale = try await run(["balance", id, "--api-key", try #require(alice["apiKey"]?.stringValue)] + remote)
        #expect(stale.status == 69 && stale.stderr.hasPrefix("kura: unauthenticated:"), "\(stale)")
        let again = try await json(
            ["party", "rotate-key", id, "--key-file", "alice-3.key", "--api-key", newKey] + remote)
        #expect(again["party"]?["publicKey"]?.stringValue == keys["alice-3"])
        #expect(try await json(["party", "revoke", id, "--api-key", operatorKey] + remote)["status"] == "revoked")
        let refused = try await run(["balance", id, "--api-key", newKey] + remote)
        #expect(refused.status == 69 && refused.stderr.hasPrefix("kura: forbidden:"), "\(refused)")
        #expect(try await server.terminate() == 0)
        #expect(try await run(["log", "verify"] + db).status == 0)
    }
}
