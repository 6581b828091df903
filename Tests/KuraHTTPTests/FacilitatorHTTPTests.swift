import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("facilitator over HTTP")
struct FacilitatorHTTPTests {
    static let lane = HTTPField.Name("Kura-Lane")!
    static let state = HTTPField.Name("Kura-Reservation-State")!
    static let billable = HTTPField.Name("Kura-Billable-Event")!

    @Test("mandate, verify, settle and a repeated settle, with the extension headers; JWKS is public")
    func enterprise() async throws {
        let fixture = try await HTTPFixture(label: "x402")
        try await fixture.test { api in
            let agent = try await api.register("agent")
            let provider = try await api.register("provider")
            try await api.deposit(agent.id, 100_000)
            let created = try await api.send(
                .post, "/v1/mandates", as: .bearer(agent.apiKey),
                json: [
                    "agent": .string(agent.id.rawValue), "asset": "USDC", "amount": 50_000, "perTxCap": 10_000,
                    "dailyCap": 40_000, "allowedCounterparties": [.string(provider.id.rawValue)],
                    "expiresAt": .number(Double(fixture.clock.now.milliseconds + 86_400_000)),
                ])
            #expect(created.status == .created, "\(created)")
            let mandate = try #require(created.json["id"]?.stringValue)
            #expect(created.headers[.location] == "/v1/mandates/\(mandate)")
            #expect(created.json["balance"]?.uint64Value == 50_000)

            let verifyBody: JSONValue = [
                "amount": 2_500, "lane": "enterprise", "mandate": .string(mandate),
                "agent": .string(agent.id.rawValue), "counterparty": .string(provider.id.rawValue),
                "resource": "https://api.example/paid",
            ]
            let verified = try await api.send(.post, "/x402/verify", as: .bearer(agent.apiKey), json: verifyBody)
            #expect(verified.status == .ok, "\(verified)")
            #expect(verified.headers[Self.lane] == "enterprise")
            #expect(verified.headers[Self.state] == "reserved")
            let reservation = try #require(verified.json["reservationId"]?.stringValue)
            let envelope = try #require(verified.json["envelope"]?.stringValue)
            #expect(verified.json["approvedAmount"]?.uint64Value == 2_500)
            #expect(
                verified.json["expiresAt"]?.int64Value == fixture.clock.now.milliseconds + 120_000)

            let settleBody: JSONValue = ["reservationId": .string(reservation), "envelope": .string(envelope)]
            let settled = try await api.send(.post, "/x402/settle", as: .bearer(provider.apiKey), json: settleBody)
            #expect(settled.status == .ok, "\(settled)")
            #expect(settled.json["idempotent"] == .bool(false))
            #expect(settled.headers[Self.state] == "settled")
            let eventID = try #require(settled.json["billableEventId"]?.stringValue)
            #expect(settled.headers[Self.billable] == eventID)
            let again = try await api.send(.post, "/x402/settle", as: .bearer(agent.apiKey), json: settleBody)
            #expect(again.status == .ok)
            #expect(again.json["idempotent"] == .bool(true))
            #expect(again.json["txSignature"] == settled.json["txSignature"])
            #expect(try await api.available(provider.id) == 2_500 - 2)

            let shown = try await api.send(.get, "/v1/reservations/\(reservation)", as: .bearer(provider.apiKey))
            #expect(shown.json["state"] == "settled" && shown.headers[Self.state] == "settled")

            let jwks = try await api.send(.get, "/.well-known/jwks.json")
            #expect(jwks.status == .ok && jwks.contentType == "application/jwk-set+json")
            let key = try #require(jwks.json["keys"]?.arrayValue?.first)
            #expect(key["kty"] == "OKP" && key["crv"] == "Ed25519" && key["alg"] == "EdDSA")
            #expect(key["x"]?.stringValue == Base64.urlEncode(TestKeys.serviceSigner.key.publicKey.bytes))
        }
    }

    @Test("refusals are problems with their codes and statuses; nothing is written")
    func refusals() async throws {
        let fixture = try await HTTPFixture(label: "x402refuse")
        try await fixture.test { api in
            let agent = try await api.register("agent")
            let provider = try await api.register("provider")
            try await api.deposit(agent.id, 100_000)
            let mandate = try await api.send(
                .post, "/v1/mandates", as: .bearer(agent.apiKey),
                json: [
                    "agent": .string(agent.id.rawValue), "asset": "USDC", "amount": 5_000, "perTxCap": 1_000,
                    "dailyCap": 5_000, "allowedCounterparties": [],
                    "expiresAt": .number(Double(fixture.clock.now.milliseconds + 86_400_000)),
                ]
            ).json["id"]?.stringValue
            func verify(_ amount: UInt64) async throws -> Answer {
                try await api.send(
                    .post, "/x402/verify", as: .bearer(agent.apiKey),
                    json: [
                        "amount": .number(Double(amount)), "lane": "enterprise", "mandate": .string(mandate ?? ""),
                        "agent": .string(agent.id.rawValue), "counterparty": .string(provider.id.rawValue),
                    ])
            }
            let before = try await fixture.seq()
            let capped = try await verify(1_001)
            #expect(capped.status == .unprocessableContent && capped.code == "cap_exceeded")
            #expect(capped.contentType == "application/problem+json")
            let ok = try await verify(1_000)
            let reservation = try #require(ok.json["reservationId"]?.stringValue)
            let envelope = try #require(ok.json["envelope"]?.stringValue)
            let seqAfterVerify = try await fixture.seq()
            #expect(seqAfterVerify == before + 1)
            let tampered = envelope.dropLast(2) + (envelope.hasSuffix("AA") ? "BB" : "AA")
            let bad = try await api.send(
                .post, "/x402/settle", as: .bearer(provider.apiKey),
                json: ["reservationId": .string(reservation), "envelope": .string(String(tampered))])
            #expect(bad.status == .badRequest && bad.code == "envelope_invalid", "\(bad)")
            let crossLane = try await api.send(
                .post, "/x402/settle", as: .bearer(provider.apiKey),
                json: ["reservationId": .string(reservation), "envelope": .string(envelope), "lane": "crypto-fast"])
            #expect(crossLane.status == .conflict && crossLane.code == "lane_mismatch")
            fixture.clock.advance(by: 120_000)
            let late = try await api.send(
                .post, "/x402/settle", as: .bearer(provider.apiKey),
                json: ["reservationId": .string(reservation), "envelope": .string(envelope)])
            #expect(late.status == .gone && late.code == "reservation_expired")
            #expect(try await fixture.seq() == seqAfterVerify)
        }
    }

    @Test("crypto-fast over HTTP: price, position, verify, settle")
    func cryptoFast() async throws {
        let fixture = try await HTTPFixture(label: "x402fast")
        try await fixture.test { api in
            let agent = try await api.register("agent")
            let provider = try await api.register("provider")
            try await api.deposit(agent.id, 10_000_000_000, asset: "SOL")
            let price = try await api.send(
                .post, "/v1/prices", as: api.operatorCaller,
                json: ["base": "SOL", "quote": "USDC", "price": 150_000_000])
            #expect(price.status == .ok, "\(price)")
            let opened = try await api.send(
                .post, "/v1/positions", as: .bearer(agent.apiKey),
                json: [
                    "agent": .string(agent.id.rawValue), "collateralAsset": "SOL", "collateral": 1_000_000_000,
                    "asset": "USDC", "singlePaymentCap": 50_000_000,
                ])
            #expect(opened.status == .created, "\(opened)")
            let position = try #require(opened.json["id"]?.stringValue)
            let verified = try await api.send(
                .post, "/x402/verify", as: .bearer(agent.apiKey),
                json: [
                    "amount": 40_000_000, "lane": "crypto-fast", "collateral": .string(position),
                    "agent": .string(agent.id.rawValue), "counterparty": .string(provider.id.rawValue),
                ])
            #expect(verified.status == .ok && verified.headers[Self.lane] == "crypto-fast", "\(verified)")
            let settled = try await api.send(
                .post, "/x402/settle", as: .bearer(provider.apiKey),
                json: ["reservationId": verified.json["reservationId"]!, "envelope": verified.json["envelope"]!])
            #expect(settled.status == .ok && settled.json["lane"] == "crypto-fast")
            let shown = try await api.send(.get, "/v1/positions/\(position)", as: .bearer(agent.apiKey))
            #expect(shown.json["debt"]?.uint64Value == 40_000_000)
            let over = try await api.send(
                .post, "/x402/verify", as: .bearer(agent.apiKey),
                json: [
                    "amount": 50_000_001, "lane": "crypto-fast", "collateral": .string(position),
                    "agent": .string(agent.id.rawValue), "counterparty": .string(provider.id.rawValue),
                ])
            #expect(over.code == "cap_exceeded")
            let prices = try await api.send(.get, "/v1/prices", as: .bearer(agent.apiKey))
            #expect(prices.json["items"]?.arrayValue?.count == 1)
        }
    }
}
