import Foundation
import HTTPTypes
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("escrow lifecycle over HTTP")
struct EscrowFlowTests {
    @Test("lock, deliver, confirm: the payee gets the amount less 50 bps, the fees account the rest")
    func happyPath() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 1_000_000)

            let open = try await api.send(
                .post, "/v1/escrows", as: .bearer(payer.apiKey), json: api.openBody(payee: payee.id, amount: 100_001))
            #expect(open.status == .created)
            #expect(open.contentType == "application/json")
            #expect(open.json["state"] == "locked")
            #expect(open.json["amount"]?.uint64Value == 100_001)
            let id = try #require(open.json["id"]?.stringValue)
            #expect(open.headers[.location] == "/v1/escrows/\(id)")
            #expect(try await api.available(payer.id) == 1_000_000 - 100_001)

            let held = try await api.send(.get, "/v1/accounts/\(payer.id)", as: .bearer(payer.apiKey))
            #expect(held.json["balances"]?.arrayValue?.first?["held"]?.uint64Value == 100_001)

            let evidence = Hex.encode(SHA256.hash("the goods"))
            let delivered = try await api.send(
                .post, "/v1/escrows/\(id)/deliver", as: .bearer(payee.apiKey), json: ["evidence": .string(evidence)])
            #expect(delivered.status == .ok)
            #expect(delivered.json["state"] == "delivered")
            #expect(delivered.json["evidence"]?.stringValue == evidence)

            // An empty body is fine for confirm.
            let confirmed = try await api.send(.post, "/v1/escrows/\(id)/confirm", as: .bearer(payer.apiKey))
            #expect(confirmed.status == .ok, "\(confirmed)")
            #expect(confirmed.json["state"] == "released")

            // 100_001 × 50 / 10_000 = 500.005, rounded down to 500.
            #expect(confirmed.json["fee"]?.uint64Value == 500)
            #expect(try await api.available(payee.id) == 100_001 - 500)
            #expect(try await api.available(payer.id) == 1_000_000 - 100_001)
            #expect(try await fixture.fees() == 500)
            #expect(try await fixture.service.ledgerViolations().isEmpty)

            let shown = try await api.send(.get, "/v1/escrows/\(id)", as: .bearer(payee.apiKey))
            #expect(shown.status == .ok)
            #expect(shown.json == confirmed.json)
        }
    }

    @Test("the party itself reads its record, passport and account; others read the party record only")
    func reads() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let alice = try await api.register("alice")
            let bob = try await api.register("bob")

            let party = try await api.send(.get, "/v1/parties/\(alice.id)", as: .bearer(bob.apiKey))
            #expect(party.status == .ok)
            #expect(party.json["name"] == "alice")
            #expect(party.json["publicKey"]?.stringValue == TestKeys.publicKey("alice").base64)
            #expect(party.json["status"] == "active")

            let passport = try await api.send(.get, "/v1/parties/\(alice.id)/passport", as: .bearer(bob.apiKey))
            #expect(passport.status == .ok)
            let decoded = try passport.decode(Passport.self)
            #expect(decoded.verify(with: TestKeys.serviceSigner.key.publicKey))
            #expect(decoded.party.id == alice.id)

            #expect(try await api.send(.get, "/v1/accounts/\(alice.id)", as: .bearer(alice.apiKey)).status == .ok)
            let foreign = try await api.send(.get, "/v1/accounts/\(alice.id)", as: .bearer(bob.apiKey))
            #expect(foreign.status == .forbidden)
            #expect(foreign.code == "forbidden")
        }
    }

    @Test("listing pages newest first with a cursor, and filters by state")
    func listing() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 1_000)
            var ids: [EscrowID] = []
            for _ in 0..<5 { ids.append(try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 10)) }
            #expect(
                try await api.send(.post, "/v1/escrows/\(ids[0])/cancel", as: .bearer(payer.apiKey), json: [:]).status
                    == .ok)

            let first = try await api.send(.get, "/v1/escrows?limit=2", as: .bearer(payer.apiKey))
            #expect(first.status == .ok)
            #expect(
                first.json["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [
                    ids[4].rawValue, ids[3].rawValue,
                ])
            let cursor = try #require(first.json["nextCursor"]?.stringValue)

            let second = try await api.send(.get, "/v1/escrows?limit=2&cursor=\(cursor)", as: .bearer(payer.apiKey))
            #expect(
                second.json["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [
                    ids[2].rawValue, ids[1].rawValue,
                ])

            let third = try await api.send(
                .get, "/v1/escrows?limit=2&cursor=\(try #require(second.json["nextCursor"]?.stringValue))",
                as: .bearer(payer.apiKey))
            #expect(third.json["items"]?.arrayValue?.count == 1)
            #expect(third.json["nextCursor"] == .null)

            let cancelled = try await api.send(.get, "/v1/escrows?state=cancelled", as: .bearer(payee.apiKey))
            #expect(cancelled.json["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0].rawValue])

            let byOperator = try await api.send(
                .get, "/v1/escrows?party=\(payee.id)&state=locked", as: api.operatorCaller)
            #expect(byOperator.json["items"]?.arrayValue?.count == 4)
        }
    }
}
