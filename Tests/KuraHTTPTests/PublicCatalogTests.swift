import HummingbirdTesting
import KuraClient
import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// The public routes served from the operation catalog answer as their hand-written handlers did: their media
/// types, their refusals of an unknown query (`/healthz` none), credentials ignored, the x402 facilitator's
/// refusals in a 200; and KuraClient reads each through `perform` as its typed answer.
@Suite("Public operations in the catalog")
struct PublicCatalogTests {
    @Test("media types, unknown query parameters, credentials ignored, x402 refusals in a 200")
    func wire() async throws {
        let fixture = try await HTTPFixture(label: "public-catalog")
        try await fixture.quietTest { api in
            let flow = try await ReceiptFlow.phaseOne(api)
            _ = try #require(try await fixture.service.checkpointIfGrown())
            let types: [String: String] = [
                "/v1/log/checkpoint": "text/plain; charset=utf-8", "/v1/log/key": "text/plain; charset=utf-8",
                "/.well-known/jwks.json": "application/jwk-set+json", "/v1/receipts/0": "application/json",
                "/v1/receipts/0/bundle": "application/json", "/v1/reputation/\(flow.payer)": "application/json",
                "/facilitator/supported": "application/json", "/healthz": "application/json",
                "/readyz": "application/json",
            ]
            for (uri, type) in types {
                let answer = try await api.send(.get, uri)
                #expect(answer.status == .ok && answer.contentType == type, "\(uri): \(answer)")
            }
            // The key and the note end with a newline; the receipt is exactly its leaf bytes.
            #expect(try await api.send(.get, "/v1/log/key").text == fixture.service.verifierKey + "\n")
            let receipt = try await fixture.service.receipt(0)
            #expect(try await api.send(.get, "/v1/receipts/0").body == receipt.leafBytes())

            for uri in [
                "/v1/log/checkpoint", "/v1/log/key", "/.well-known/jwks.json", "/readyz", "/facilitator/supported",
            ] {
                let answer = try await api.send(.get, uri + "?x=1")
                #expect(answer.status == .badRequest && answer.code == "invalid_request", "\(uri): \(answer)")
            }
            let health = try await api.send(.get, "/healthz?anything=1")
            #expect(health.status == .ok && health.text == #"{"status":"ok"}"#)

            // Credentials are not read: a wrong key is not a 401 on a public route.
            let wrongKey = try await api.send(.get, "/v1/receipts", as: .bearer("kura_wrong"))
            #expect(wrongKey.status == .ok, "\(wrongKey)")

            // Not a facilitator request: a refusal in a 200, as x402 clients expect.
            let verify = try await api.send(.post, "/facilitator/verify", raw: Array("not json".utf8))
            #expect(verify.status == .ok && verify.json["isValid"] == false, "\(verify)")
            #expect(verify.json["invalidReason"]?.stringValue == "invalid_payload")
            let settle = try await api.send(.post, "/facilitator/settle", json: ["x402Version": 1])
            #expect(settle.status == .ok && settle.json["success"] == false, "\(settle)")
            #expect(settle.json["errorReason"]?.stringValue == "invalid_x402_version")
        }
    }

    @Test("KuraClient reads every public operation as its typed answer")
    func client() async throws {
        let fixture = try await HTTPFixture(label: "public-catalog-client")
        try await fixture.test(.live) { api in
            let port = try #require(api.client.port)
            let flow = try await ReceiptFlow.phaseOne(api)
            // The live server's checkpointer may have issued the checkpoint of size 3 already (a slow machine).
            var grown = try await fixture.service.checkpointIfGrown()
            if grown == nil { grown = try await fixture.service.latestCheckpoint() }
            let issued = try #require(grown)
            #expect(issued.size == 3)
            let client = KuraClient(baseURL: "http://127.0.0.1:\(port)", apiKey: nil)

            let page = try await client.receipts(party: flow.payer, kind: "escrow.locked", limit: 10)
            #expect(page.items.count == 1 && page.items.first?.kind == "escrow.locked")
            #expect(try await client.receipt(2) == fixture.service.receipt(2))
            #expect(try await client.checkpointNote() == issued.note)
            #expect(try await client.verifierKey() == fixture.service.verifierKey)
            let proof = try await client.consistency(from: 1, to: 3)
            #expect(proof == (try await fixture.service.consistency(from: 1, to: 3)))
            let bundle = try await client.bundle(0)
            guard
                case .valid(index: 0, size: 3, _) = ReceiptBundle.verify(
                    bundleJSON: bundle, key: fixture.service.signer.verifier)
            else { throw TestFailure("the bundle does not verify: \(bundle)") }

            let report = try await client.reputation(of: flow.payer)
            #expect(report == (try await fixture.service.reputation(of: flow.payer)))
            let batch = try await client.reputations(of: [flow.payer, flow.payee], asOf: 2)
            #expect(batch.items.count == 2 && batch.checkpoint.size == 2)
            let attestation = try await client.reputationAttestation(of: flow.payee)
            #expect(attestation.reputation.party == flow.payee)
            #expect(try await client.passport(of: flow.payee).party.id == flow.payee)

            #expect(try await client.jwks()["keys"]?.arrayValue?.count == 1)
            let supported = try await client.x402Supported()
            #expect(supported.kinds.count == KuraScheme.allCases.count)
            // An unknown party: the classified error, as for any operation.
            let unknown = try PartyID(validating: "pty_unknown")
            await #expect(throws: KuraClientError.self) { try await client.passport(of: unknown) }
        }
    }
}
