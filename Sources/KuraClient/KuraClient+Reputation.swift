import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `GET /v1/reputation/{party}[?asOf=N]`: the party's Meishi reputation report.
    public func reputation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraClientError) -> ReputationReport {
        let answer = try await perform(
            KuraAPI.showReputation, at: party, query: AsOfQuery(asOf: asOf), body: EmptyRequest())
        do { return try answer.decoded() } catch {
            throw KuraClientError(kind: .invalid, status: 200, code: "invalid_response", detail: error.detail)
        }
    }

    /// `GET /v1/reputation?ids=a,b,…[&asOf=N]`: up to 100 reports at one tree size.
    public func reputations(of parties: [PartyID], asOf: UInt64? = nil) async throws(KuraClientError)
        -> ReputationBatch
    {
        try await perform(KuraAPI.listReputations, query: ReputationBatchQuery(ids: parties, asOf: asOf))
    }

    /// `GET /v1/reputation/{party}/attestation[?asOf=N]`: the report signed by Kura.
    public func reputationAttestation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraClientError)
        -> ReputationAttestation
    {
        try await perform(KuraAPI.reputationAttestation, at: party, query: AsOfQuery(asOf: asOf), body: EmptyRequest())
    }

    /// `GET /v1/parties/{id}/passport`: the party's Meishi passport, freshly signed by Kura.
    public func passport(of party: PartyID) async throws(KuraClientError) -> Passport {
        try await perform(KuraAPI.showPassport, at: party)
    }
}
