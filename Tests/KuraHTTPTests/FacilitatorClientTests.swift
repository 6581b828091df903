import AsyncHTTPClient
import HummingbirdTesting
import KuraClient
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("KuraClient: verify and settle by reservation ID")
struct FacilitatorClientTests {
    @Test("a provider's pooled client drops the no-op tracer of a process that bootstrapped none")
    func pooledClientWithoutNoOpTracer() async throws {
        let client = KuraClient.pooledHTTPClient(connections: 2)
        #expect(client.tracer == nil)
        try await client.shutdown()
    }

    @Test("settle(reservationId) uses the kept envelope, repeats safely, and classifies refusals")
    func verifySettle() async throws {
        let fixture = try await HTTPFixture(label: "x402client")
        try await fixture.test(.live) { api in
            let port = try #require(api.client.port)
            let agent = try await api.register("agent")
            let provider = try await api.register("provider")
            try await api.deposit(agent.id, 100_000)
            let agentClient = KuraClient(baseURL: "http://127.0.0.1:\(port)", apiKey: agent.apiKey)
            let providerClient = KuraClient(baseURL: "http://127.0.0.1:\(port)", apiKey: provider.apiKey)
            let mandate = try await agentClient.createMandate(
                CreateMandateRequest(
                    agent: agent.id, asset: try Asset("USDC"), amount: try Amount(units: 10_000),
                    perTxCap: try Amount(units: 5_000), dailyCap: try Amount(units: 10_000),
                    allowedCounterparties: [provider.id], expiresAt: fixture.clock.now.adding(milliseconds: 3_600_000)))
            let request = ReservationVerifyRequest(
                amount: try Amount(units: 1_000), lane: .enterprise, mandate: mandate.id, agent: agent.id,
                counterparty: provider.id)
            let verified = try await agentClient.verify(request)
            #expect(agentClient.envelope(for: verified.reservationId) == verified.envelope)

            let first = try await agentClient.settle(verified.reservationId)
            let again = try await agentClient.settle(verified.reservationId)
            #expect(!first.idempotent && again.idempotent && again.txSignature == first.txSignature)
            let byProvider = try await providerClient.settle(verified.reservationId, envelope: verified.envelope)
            #expect(byProvider.idempotent && byProvider.billableEventId == first.billableEventId)

            // No envelope kept by this client: invalid, before any request.
            let missing = await clientFailure { try await providerClient.settle(verified.reservationId) }
            #expect(missing?.kind == .invalid && missing?.code == "envelope_invalid")
            // A tampered envelope: the server says invalid (400).
            let second = try await agentClient.verify(request)
            let tampered = String(second.envelope.dropLast(3)) + "AAA"
            let bad = await clientFailure {
                try await providerClient.settle(second.reservationId, envelope: tampered)
            }
            #expect(bad?.kind == .invalid && bad?.status == 400 && bad?.code == "envelope_invalid")
            // Over the cap: refused (422), not worth retrying.
            let capped = await clientFailure {
                try await agentClient.verify(
                    ReservationVerifyRequest(
                        amount: try Amount(units: 5_001), lane: .enterprise, mandate: mandate.id, agent: agent.id,
                        counterparty: provider.id))
            }
            #expect(capped?.kind == .refused && capped?.code == "cap_exceeded")
            // Expired: refused (410).
            fixture.clock.advance(by: 120_000)
            let late = await clientFailure { try await agentClient.settle(second.reservationId) }
            #expect(late?.kind == .refused && late?.status == 410 && late?.code == "reservation_expired")
            let keys = try await agentClient.jwks()
            #expect(keys["keys"]?.arrayValue?.count == 1)
        }
    }
}

/// The KuraClientError that `body` threw, or nil if it returned.
func clientFailure<T>(_ body: () async throws -> T) async -> KuraClientError? {
    do {
        _ = try await body()
        return nil
    } catch let error as KuraClientError {
        return error
    } catch {
        Issue.record("expected a KuraClientError, got \(error)")
        return nil
    }
}
