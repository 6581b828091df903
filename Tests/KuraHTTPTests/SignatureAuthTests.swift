import Foundation
import HTTPTypes
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("request signatures")
struct SignatureAuthTests {
    /// Sends `GET /v1/accounts/<payer>?` signed with the given parts.
    private func signed(
        _ api: APIClient, _ s: Scenario, keyName: String = "payer", path: String? = nil, signedPath: String? = nil,
        timestamp: Int64? = nil, nonce: String = "nonce-\(UUID().uuidString)", method: HTTPRequest.Method = .get,
        body: [UInt8]? = nil, signedBody: [UInt8]? = nil
    ) async throws -> Answer {
        let uri = path ?? "/v1/accounts/\(s.payer)"
        let headers = Signing.headers(
            instance: api.fixture.service.instance, party: s.payer, key: TestKeys.secretKey(keyName),
            method: method.rawValue, pathWithQuery: signedPath ?? uri,
            timestamp: timestamp ?? api.fixture.clock.now.milliseconds, nonce: nonce, body: signedBody ?? body ?? [])
        return try await api.send(method, uri, as: .none, raw: body, headers: headers)
    }

    @Test("a valid signature authenticates, on a GET with a query and on a POST with a body")
    func valid() async throws {
        let fixture = try await HTTPFixture()
        let s = try await Scenario.make(fixture)
        try await fixture.test { api in
            let read = try await signed(api, s)
            #expect(read.status == .ok, "\(read)")
            #expect(read.json["party"]?.stringValue == s.payer.rawValue)

            let list = try await signed(api, s, path: "/v1/escrows?state=locked&limit=5")
            #expect(list.status == .ok, "\(list)")
            #expect(list.json["items"]?.arrayValue?.count == 1)

            let cancel = try await signed(
                api, s, path: "/v1/escrows/\(s.locked)/cancel", method: .post, body: Array("{}".utf8))
            #expect(cancel.status == .ok, "\(cancel)")
            #expect(cancel.json["state"] == "cancelled")
        }
    }

    @Test("refused with 401: another key, another path, another body, a stale or future timestamp")
    func invalid() async throws {
        let fixture = try await HTTPFixture()
        let s = try await Scenario.make(fixture)
        try await fixture.test { api in
            let now = fixture.clock.now.milliseconds
            let cases: [(String, Answer)] = [
                ("signed by another key", try await signed(api, s, keyName: "payee")),
                ("signed for another path", try await signed(api, s, signedPath: "/v1/accounts/\(s.payee)")),
                (
                    "query left out of the signed path",
                    try await signed(api, s, path: "/v1/escrows?limit=5", signedPath: "/v1/escrows")
                ),
                (
                    "signed over another body",
                    try await signed(
                        api, s, path: "/v1/escrows/\(s.locked)/cancel", method: .post, body: Array("{}".utf8),
                        signedBody: [])
                ),
                ("timestamp 301 s old", try await signed(api, s, timestamp: now - 301_000)),
                ("timestamp 301 s ahead", try await signed(api, s, timestamp: now + 301_000)),
            ]
            for (name, answer) in cases {
                #expect(answer.status == .unauthorized, "\(name): \(answer)")
                #expect(answer.code == "unauthenticated", "\(name)")
                #expect(answer.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(name)")
            }
            // 300 s of skew is still accepted.
            #expect(try await signed(api, s, timestamp: now - 300_000).status == .ok)
            let escrow = try await api.send(.get, "/v1/escrows/\(s.locked)", as: .bearer(s.payerKey))
            #expect(escrow.json["state"] == "locked", "no refused request may have acted")
        }
    }

    @Test("a nonce is accepted once")
    func nonceReuse() async throws {
        let fixture = try await HTTPFixture()
        let s = try await Scenario.make(fixture)
        try await fixture.test { api in
            let first = try await signed(api, s, nonce: "once-only-nonce")
            #expect(first.status == .ok)
            let again = try await signed(api, s, nonce: "once-only-nonce")
            #expect(again.status == .unauthorized)
            #expect(again.code == "unauthenticated")
            #expect(again.json["detail"]?.stringValue?.contains("Nonce") == true)
        }
    }

    @Test("the Authorization header, when present, decides alone")
    func bearerWins() async throws {
        let fixture = try await HTTPFixture()
        let s = try await Scenario.make(fixture)
        try await fixture.test { api in
            var headers = Signing.headers(
                instance: fixture.service.instance, party: s.payer, key: TestKeys.secretKey("payer"), method: "GET",
                pathWithQuery: "/v1/accounts/\(s.payer)",
                timestamp: fixture.clock.now.milliseconds, nonce: "nonce-bearer-wins", body: [])
            headers[.authorization] = "Bearer kura_wrong"
            let answer = try await api.send(.get, "/v1/accounts/\(s.payer)", as: .none, headers: headers)
            #expect(answer.status == .unauthorized)
        }
    }
}
