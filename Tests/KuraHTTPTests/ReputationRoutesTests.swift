import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraService
import KuraTesting
import Logging
import Testing

/// The public reputation routes: reports, batches, attestations and passports, without credentials, and
/// the rate limit per client address.
@Suite("reputation over HTTP")
struct ReputationRoutesTests {
    /// A fixture with a small random escrow history among four parties.
    static func world(_ label: String) async throws -> (HTTPFixture, [Party]) {
        let fixture = try await HTTPFixture(label: label)
        let parties = try await ReputationHistory.run(in: fixture.db, payments: 40, parties: 4, seed: 11, round: 20)
        return (fixture, parties)
    }

    @Test("reports need no credentials and are the service's canonical bytes; asOf and batches name their tree")
    func reports() async throws {
        let (fixture, parties) = try await Self.world("rep-http")
        let service = fixture.service
        try await fixture.test { api in
            let party = parties[1].id
            let answer = try await api.send(.get, "/v1/reputation/\(party)")
            #expect(answer.status == .ok && answer.contentType == "application/json")
            #expect(answer.body == (try await service.reputation(of: party).canonicalBytes()))
            let report = try answer.decode(ReputationReport.self)
            #expect(report.checkpoint.size == (try await service.receiptCount()))

            let old = try await api.send(.get, "/v1/reputation/\(party)?asOf=5")
            #expect(old.status == .ok)
            let expected = try await service.reputation(of: party, asOf: 5)
            #expect(try old.decode(ReputationReport.self) == expected)
            #expect(try old.decode(ReputationReport.self).checkpoint.size == 5)

            let ids = parties.map(\.id.rawValue).joined(separator: ",")
            let batch = try await api.send(.get, "/v1/reputation?ids=\(ids)")
            #expect(batch.status == .ok)
            let items = try #require(batch.json["items"]?.arrayValue)
            #expect(items.count == 4 && items[1]["party"]?.stringValue == party.rawValue)
            #expect(batch.json["checkpoint"] == answer.json["checkpoint"])

            // Credentials are ignored, not refused.
            let withKey = try await api.send(.get, "/v1/reputation/\(party)", as: .bearer("kura_wrong"))
            #expect(withKey.status == .ok)
        }
    }

    @Test(
        "bad input is 400 or 404 and writes nothing",
        arguments: [
            ("/v1/reputation/not-a-party", 400), ("/v1/reputation/pty_A?asOf=-1", 400),
            ("/v1/reputation/pty_A?asOf=999999", 404), ("/v1/reputation/pty_A?size=1", 400),
            ("/v1/reputation", 400), ("/v1/reputation?ids=", 400), ("/v1/reputation?ids=pty_A,pty_A", 400),
            ("/v1/reputation/pty_A/attestation?asOf=01", 400), ("/v1/parties/pty_A/passport", 404),
        ])
    func badInput(path: String, status: Int) async throws {
        let fixture = try await HTTPFixture(label: "rep-bad")
        let before = try await fixture.seq()
        try await fixture.test { api in
            let answer = try await api.send(.get, path)
            #expect(Int(answer.status.code) == status, "\(path): \(answer)")
            #expect(answer.contentType == "application/problem+json")
        }
        #expect(try await fixture.seq() == before)
    }

    @Test("more than 100 IDs in a batch are refused")
    func batchLimit() async throws {
        let fixture = try await HTTPFixture(label: "rep-batch")
        let ids = (0..<101).map { PartyID.derive(command: .number(Double($0)), seq: 0).rawValue }
        try await fixture.test { api in
            let answer = try await api.send(.get, "/v1/reputation?ids=\(ids.joined(separator: ","))")
            #expect(answer.status == .badRequest && answer.code == "invalid_request")
            let hundred = try await api.send(.get, "/v1/reputation?ids=\(ids.prefix(100).joined(separator: ","))")
            #expect(hundred.status == .ok)
        }
    }

    @Test("an attestation verifies offline with the log's key; the passport carries the current report")
    func attestationAndPassport() async throws {
        let (fixture, parties) = try await Self.world("rep-attest")
        try await fixture.test { api in
            let answer = try await api.send(.get, "/v1/reputation/\(parties[2].id)/attestation")
            #expect(answer.status == .ok)
            let attestation = try answer.decode(ReputationAttestation.self)
            try attestation.verify(with: TestKeys.serviceSigner.verifier)
            #expect(attestation.reputation == (try await fixture.service.reputation(of: parties[2].id)))

            let passport = try await api.send(.get, "/v1/parties/\(parties[2].id)/passport")
            #expect(passport.status == .ok)
            let decoded = try passport.decode(Passport.self)
            #expect(decoded.verify(with: TestKeys.serviceSigner.key.publicKey))
            #expect(decoded.reputation == attestation.reputation)
            #expect(decoded.party.id == parties[2].id)
        }
    }

    @Test("each client address gets one token bucket for the public routes; past it, 429 rate_limited with Retry-After")
    func rateLimit() async throws {
        let fixture = try await HTTPFixture(label: "rep-limit")
        var configuration = KuraServer.Configuration(port: 0, sweepIntervalMs: 0)
        configuration.publicRateLimit = RateLimit(requestsPerSecond: 0.001, burst: 3)
        configuration.idleTimeoutMs = HTTPFixture.idleTimeoutMs
        let server = KuraServer(
            service: fixture.service, configuration: configuration,
            logger: Logger.quiet("test"))
        try await server.makeApplication().test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            var last: TestResponse?
            for _ in 0..<5 {
                let response = try await client.executeRequest(
                    uri: "/v1/reputation/pty_A", method: .get, headers: [:], body: nil)
                statuses.append(response.status)
                last = response
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .tooManyRequests])
            let refusal = try #require(last)
            // One token every 1,000 s.
            let wait = try #require(refusal.headers[.retryAfter].flatMap { Int($0) })
            #expect((900...1000).contains(wait))
            let problem = try JSONValue.parse(Array(refusal.body.readableBytesView))
            #expect(problem["code"]?.stringValue == "rate_limited" && problem["status"] == 429)
            // Every public route shares the address's bucket (finding 14.3), the health check too; a request
            // carrying a valid API key is not counted.
            let health = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
            #expect(health.status == .tooManyRequests)
            let keyed = try await client.executeRequest(
                uri: "/v1/reputation/pty_A", method: .get,
                headers: [.authorization: "Bearer \(fixture.operatorKey)"], body: nil)
            #expect(keyed.status == .ok)
        }
    }
}
