import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Issue 14, finding 8, over HTTP: `kura-request-v2` is what clients sign (KuraClient included), the
/// deprecated v1 text is accepted until its configured end and refused after it.
@Suite("kura-request-v2 over HTTP, and the end of v1")
struct RequestSigningHTTPTests {
    @Test("v1 is accepted before its end date (by default until 2027-06-01) and refused after it; v2 always")
    func v1Deprecation() async throws {
        for (sunset, v1Accepted) in [(ServiceConfiguration.v1SignatureSunset, true), (nil, false)]
            as [(Timestamp?, Bool)]
        {
            var configuration = ServiceConfiguration()
            configuration.requestSignatureV1Until = sunset
            let fixture = try await HTTPFixture(configuration: configuration, label: "v1")
            try await fixture.test { api in
                let agent = try await api.register("agent", roles: ["agent"])
                let path = "/v1/accounts/\(agent.id)"
                func send(_ instance: String?) async throws -> Answer {
                    let headers = Signing.headers(
                        instance: instance, party: agent.id, key: TestKeys.secretKey("agent"), method: "GET",
                        pathWithQuery: path, timestamp: fixture.clock.now.milliseconds,
                        nonce: "n-\(UUID().uuidString)", body: [])
                    return try await api.send(.get, path, as: .none, headers: headers)
                }
                #expect(try await send(fixture.service.instance).status == .ok)
                let v1 = try await send(nil)
                #expect(v1.status == (v1Accepted ? .ok : .unauthorized), "\(v1)")
                // A v2 text for another instance never passes.
                #expect(try await send("other.kura/log+00000000").status == .unauthorized)
            }
        }
    }

    @Test("KuraClient signs kura-request-v2: a live server that refuses v1 serves it, for GETs and POSTs")
    func kuraClientSignsV2() async throws {
        var configuration = ServiceConfiguration()
        configuration.requestSignatureV1Until = nil
        // KuraClient signs with the wall clock: the server's clock must be near it.
        let now = TestClock(Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)))
        let fixture = try await HTTPFixture(configuration: configuration, clock: now, label: "client")
        try await fixture.test(.live) { api in
            let base = "http://127.0.0.1:\(try #require(api.client.port))"
            let payer = try await api.register("payer", roles: ["agent"])
            let payee = try await api.register("payee", roles: ["provider"])
            try await api.deposit(payer.id, 10_000)
            let signed = KuraClient(
                baseURL: base, apiKey: nil, signer: RequestSigner(party: payer.id, key: TestKeys.secretKey("payer")))
            #expect(try await signed.account(payer.id).balances.first?.available == 10_000)
            let escrow = try await signed.openEscrow(
                OpenEscrowRequest(
                    payee: payee.id, amount: try Amount(units: 2_500), asset: try Asset("USDC"),
                    deliverBy: fixture.clock.now.adding(milliseconds: 3_600_000)))
            #expect(escrow.state == .locked)
            #expect(try await signed.instanceName() == fixture.service.instance)
            // A signer pinned to another instance is refused: its signature is for somewhere else.
            let elsewhere = KuraClient(
                baseURL: base, apiKey: nil,
                signer: RequestSigner(
                    party: payer.id, key: TestKeys.secretKey("payer"), instance: "other.kura/log+00000000"))
            await #expect(throws: KuraClientError.self) { try await elsewhere.account(payer.id) }
        }
    }
}
