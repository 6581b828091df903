import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `GET /v1/reputation/{party}[?asOf=N]`: the party's Meishi reputation report.
    public func reputation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraClientError) -> ReputationReport {
        let query = asOf.map { "?asOf=\($0)" } ?? ""
        return try await call(.GET, "/v1/reputation/\(party)\(query)", as: ReputationReport.self)
    }

    /// `GET /v1/reputation/{party}/attestation[?asOf=N]`: the report signed by Kura.
    public func reputationAttestation(of party: PartyID, asOf: UInt64? = nil) async throws(KuraClientError)
        -> ReputationAttestation
    {
        let query = asOf.map { "?asOf=\($0)" } ?? ""
        return try await call(.GET, "/v1/reputation/\(party)/attestation\(query)", as: ReputationAttestation.self)
    }
}
