/// The public routes of Meishi reputation: scores, their attestations, and passports. Anyone may read
/// them: no credentials are asked for (any sent are ignored), nothing is written to the event log, and
/// each client address is rate-limited (``RateLimiter``).
enum ReputationEndpoint: CaseIterable, Sendable {
    case reputation, reputationBatch, attestation, passport

    var route: KuraRoute {
        switch self {
        case .reputation: KuraRoute("GET", "/v1/reputation/{party}")
        case .reputationBatch: KuraRoute("GET", "/v1/reputation")
        case .attestation: KuraRoute("GET", "/v1/reputation/{party}/attestation")
        case .passport: KuraRoute("GET", "/v1/parties/{id}/passport")
        }
    }

    /// The query parameters the route accepts; any other is refused.
    var queryParameters: Set<String> {
        switch self {
        case .reputation, .attestation: ["asOf"]
        case .reputationBatch: ["ids", "asOf"]
        case .passport: []
        }
    }
}
