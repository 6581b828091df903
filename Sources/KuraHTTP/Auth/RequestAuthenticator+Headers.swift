import Hummingbird
import KuraCore
import KuraProvider
import KuraService

extension RequestAuthenticator {
    /// What the headers alone tell about the caller, before any body is read: with `Authorization`, the
    /// principal (the API key decides alone); with the signature headers, nil once they name an active party
    /// and a fresh timestamp (the signature covers the body, so it is checked after the body is read, by
    /// ``principal(for:body:)``). Without either, or with a header that is wrong already, the request is
    /// refused here, so an unknown caller never makes the server read (up to the limit of) a body.
    func callerFromHeaders(_ request: Request) async throws(KuraError) -> Principal? {
        if request.headers.contains(.authorization) {
            return try await principal(for: request, body: [])
        }
        let fields = [KuraHeader.party, KuraHeader.timestamp, KuraHeader.nonce, KuraHeader.signature]
        let values = fields.map { request.headers.value(of: $0) }
        guard values.allSatisfy({ $0 != nil }), let id = PartyID(values[0]!), let millis = Int64(values[1]!) else {
            // Missing or malformed headers: the full check refuses them, naming what is wrong, before it
            // looks at the body or records a nonce.
            _ = try await principal(for: request, body: [])
            throw KuraError(.unauthenticated, "the Kura-* signature headers are incomplete or malformed")
        }
        let (skew, overflow) = service.clock.now().milliseconds.subtractingReportingOverflow(millis)
        guard !overflow, skew.magnitude <= service.configuration.maxRequestSkewMs.magnitude else {
            throw KuraError(
                .unauthenticated,
                "Kura-Timestamp is more than \(service.configuration.maxRequestSkewMs / 1000) s from now")
        }
        let party: Party
        do { party = try await service.party(id) } catch  where error.code == .notFound {
            throw KuraError(.unauthenticated, "unknown party \(id)")
        }
        guard party.status == .active else { throw KuraError(.forbidden, "\(party.id) is \(party.status.rawValue)") }
        return nil
    }

}
