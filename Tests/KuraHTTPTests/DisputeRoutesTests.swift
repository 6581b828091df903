import Foundation
import HTTPTypes
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("dispute routes")
struct DisputeRoutesTests {
    /// An escrow delivered and disputed, with one arbiter registered (a one-seat panel); returns the IDs.
    func disputed(_ api: APIClient) async throws -> (
        dispute: String, payer: String, payee: String, arbiter: (id: PartyID, apiKey: String), stranger: String
    ) {
        let payer = try await api.register("payer")
        let payee = try await api.register("payee")
        let arbiter = try await api.register("arb", roles: ["arbiter"])
        let stranger = try await api.register("stranger")
        try await api.deposit(payer.id, 100_000)
        let escrow = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 5_000)
        _ = try await api.send(
            .post, "/v1/escrows/\(escrow)/deliver", as: .bearer(payee.apiKey),
            json: ["evidence": .string(String(repeating: "aa", count: 32))])
        let disputed = try await api.send(
            .post, "/v1/escrows/\(escrow)/dispute", as: .bearer(payer.apiKey),
            json: ["reason": "nothing arrived", "statement": "the body was empty"])
        #expect(disputed.status == .ok, "\(disputed)")
        let id = try #require(disputed.json["disputeId"]?.stringValue)
        return (id, payer.apiKey, payee.apiKey, arbiter, stranger.apiKey)
    }

    @Test("a signed ruling over HTTP decides; refusals answer with their own status and code")
    func rulingAndRefusals() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let d = try await disputed(api)
            let shown = try await api.send(.get, "/v1/disputes/\(d.dispute)", as: .bearer(d.arbiter.apiKey))
            #expect(shown.status == .ok && shown.json["dispute"]?["panel"] == [.string(d.arbiter.id.rawValue)])
            let hidden = try await api.send(.get, "/v1/disputes/\(d.dispute)", as: .bearer(d.stranger))
            #expect(hidden.status == .forbidden && hidden.json["code"] == "forbidden")
            let answered = try await api.send(
                .post, "/v1/disputes/\(d.dispute)/evidence", as: .bearer(d.payee), json: ["statement": "it was sent"])
            #expect(answered.status == .ok && answered.json["state"] == "deliberating", "\(answered)")

            let statement = RulingStatement(
                disputeId: try DisputeID(validating: d.dispute), round: 1, arbiter: d.arbiter.id, refundBps: 8_000,
                reason: "nothing usable arrived", at: Timestamp(milliseconds: 1))
            let signature = Base64.encode(try statement.signed(with: TestKeys.secretKey("arb")))
            func ruling(signature: String, reason: String = "nothing usable arrived") throws -> JSONValue {
                try JSONValue(encoding: RulingRequest(ruling: statement, signature: signature, reason: reason))
            }
            let cases: [(String, JSONValue, HTTPResponse.Status, String)] = [
                (d.stranger, try ruling(signature: signature), .forbidden, "not_on_panel"),
                (d.arbiter.apiKey, try ruling(signature: "AAAA"), .unprocessableContent, "invalid_signature"),
                (
                    d.arbiter.apiKey, try ruling(signature: Base64.encode([UInt8](repeating: 7, count: 64))),
                    .unprocessableContent, "invalid_signature"
                ),
                (d.arbiter.apiKey, try ruling(signature: signature, reason: "edited"), .badRequest, "invalid_request"),
                (d.arbiter.apiKey, ["ruling": [:], "signature": "", "reason": ""], .badRequest, "invalid_request"),
                (d.arbiter.apiKey, ["extra": 1], .badRequest, "invalid_request"),
            ]
            let before = try await fixture.seq()
            for (key, body, status, code) in cases {
                let answer = try await api.send(
                    .post, "/v1/disputes/\(d.dispute)/rulings", as: .bearer(key), json: body)
                #expect(answer.status == status && answer.json["code"]?.stringValue == code, "\(code): \(answer)")
            }
            #expect(try await fixture.seq() == before, "a refused ruling wrote nothing")
            let ruled = try await api.send(
                .post, "/v1/disputes/\(d.dispute)/rulings", as: .bearer(d.arbiter.apiKey),
                json: try ruling(signature: signature))
            #expect(ruled.status == .ok && ruled.json["state"] == "decided", "\(ruled)")
            #expect(ruled.json["decision"]?["refundBps"]?.int64Value == 8_000)
            let again = try await api.send(
                .post, "/v1/disputes/\(d.dispute)/rulings", as: .bearer(d.arbiter.apiKey),
                json: try ruling(signature: signature))
            #expect(again.status == .conflict && again.json["code"] == "already_ruled")
            // Nobody is left for an appeal panel: the appeal is refused and the decision stands (an unheard round
            // would have ended in the default split).
            let appealed = try await api.send(.post, "/v1/disputes/\(d.dispute)/appeal", as: .bearer(d.payee))
            #expect(appealed.status == .conflict && appealed.json["code"] == "invalid_transition", "\(appealed)")
        }
    }

    @Test("lists: mine, state filter, bad query parameters")
    func lists() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let d = try await disputed(api)
            let mine = try await api.send(.get, "/v1/disputes?mine=true", as: .bearer(d.arbiter.apiKey))
            #expect(
                mine.status == .ok && mine.json["items"]?.arrayValue?.count == 1 && mine.json["nextCursor"] == .null)
            let payers = try await api.send(.get, "/v1/disputes?state=awaiting_response", as: .bearer(d.payer))
            #expect(payers.json["items"]?.arrayValue?.count == 1)
            let none = try await api.send(.get, "/v1/disputes?state=resolved", as: .bearer(d.payer))
            #expect(none.json["items"]?.arrayValue?.isEmpty == true)
            for query in ["mine=maybe", "state=open", "limit=0", "cursor=x", "party=pty_1"] {
                let answer = try await api.send(.get, "/v1/disputes?\(query)", as: .bearer(d.payer))
                #expect(answer.status == .badRequest && answer.json["code"] == "invalid_request", "\(query)")
            }
            let missing = try await api.send(.get, "/v1/disputes/dsp_1111111111111111", as: .bearer(d.payer))
            #expect(missing.status == .notFound)
        }
    }
}
