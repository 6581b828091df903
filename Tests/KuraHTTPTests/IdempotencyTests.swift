import HTTPTypes
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("Idempotency-Key over HTTP")
struct IdempotencyTests {
    @Test("the same key and body replays the first answer, byte for byte, and writes nothing")
    func replay() async throws {
        let fixture = try await HTTPFixture()
        let scenario = try await Scenario.make(fixture)
        try await fixture.test { api in
            let body = api.openBody(payee: scenario.payee, amount: 25)
            let first = try await api.send(
                .post, "/v1/escrows", as: .bearer(scenario.payerKey), json: body, idempotencyKey: "order-1")
            #expect(first.status == .created)
            #expect(!first.replayed)
            let seq = try await fixture.seq()

            let second = try await api.send(
                .post, "/v1/escrows", as: .bearer(scenario.payerKey), json: body, idempotencyKey: "order-1")
            #expect(second.status == .created)
            #expect(second.replayed)
            #expect(second.body == first.body)
            #expect(second.headers[.location] == first.headers[.location])
            #expect(try await fixture.seq() == seq)
            #expect(try await api.available(scenario.payer) == 1_000 - 100 - 25)
        }
    }

    @Test("the same key with another body is 409 idempotency_conflict and writes nothing")
    func conflict() async throws {
        let fixture = try await HTTPFixture()
        let scenario = try await Scenario.make(fixture)
        try await fixture.test { api in
            let first = try await api.send(
                .post, "/v1/escrows", as: .bearer(scenario.payerKey),
                json: api.openBody(payee: scenario.payee, amount: 25),
                idempotencyKey: "order-2")
            #expect(first.status == .created)
            let seq = try await fixture.seq()
            let other = try await api.send(
                .post, "/v1/escrows", as: .bearer(scenario.payerKey),
                json: api.openBody(payee: scenario.payee, amount: 26),
                idempotencyKey: "order-2")
            #expect(other.status == .conflict)
            #expect(other.code == "idempotency_conflict")
            #expect(!other.replayed)
            #expect(try await fixture.seq() == seq)
        }
    }

    @Test("an action replays with status 200 and the escrow as it was then")
    func actionReplay() async throws {
        let fixture = try await HTTPFixture()
        let scenario = try await Scenario.make(fixture)
        try await fixture.test { api in
            let first = try await api.send(
                .post, "/v1/escrows/\(scenario.locked)/cancel", as: .bearer(scenario.payerKey), idempotencyKey: "c")
            #expect(first.status == .ok)
            #expect(first.json["state"] == "cancelled")
            let seq = try await fixture.seq()
            // `{}` and an empty body are the same request.
            let again = try await api.send(
                .post, "/v1/escrows/\(scenario.locked)/cancel", as: .bearer(scenario.payerKey), json: [:],
                idempotencyKey: "c")
            #expect(again.status == .ok)
            #expect(again.replayed)
            #expect(again.body == first.body)
            #expect(try await fixture.seq() == seq)
            // Without the key the same action is a new command, refused by the state machine.
            let fresh = try await api.send(
                .post, "/v1/escrows/\(scenario.locked)/cancel", as: .bearer(scenario.payerKey))
            #expect(fresh.status == .conflict)
            #expect(fresh.code == "invalid_transition")
        }
    }

    @Test("a replayed registration answers 201 with the party and passport but not the API key")
    func registrationReplay() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let body: JSONValue = [
                "name": "carol", "roles": ["agent"],
                "publicKey": "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=",
            ]
            // Not a 32-byte key: refused, nothing stored under the key.
            let bad = try await api.send(
                .post, "/v1/parties", as: api.operatorCaller, json: body, idempotencyKey: "reg")
            #expect(bad.status == .badRequest)

            let good: JSONValue = ["name": "carol", "roles": ["agent"], "publicKey": .string(Base64Key.carol)]
            let first = try await api.send(
                .post, "/v1/parties", as: api.operatorCaller, json: good, idempotencyKey: "reg")
            #expect(first.status == .created)
            #expect(first.json["apiKey"]?.stringValue?.hasPrefix("kura_") == true)
            let seq = try await fixture.seq()
            let second = try await api.send(
                .post, "/v1/parties", as: api.operatorCaller, json: good, idempotencyKey: "reg")
            #expect(second.status == .created)
            #expect(second.replayed)
            #expect(second.json["apiKey"] == nil)
            #expect(second.json["party"] == first.json["party"])
            #expect(second.json["passport"] == first.json["passport"])
            #expect(try await fixture.seq() == seq)
        }
    }
}

enum Base64Key {
    static let carol = TestKeys.publicKey("carol").base64
}
