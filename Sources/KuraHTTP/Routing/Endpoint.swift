/// What each route does. One case per route; ``route`` is its method and path.
enum Endpoint: CaseIterable, Sendable {
    case health
    case registerParty, showParty
    case deposit, withdraw, showAccount
    case openEscrow, listEscrows, showEscrow
    case deliver, confirm, dispute, cancel, refund

    var route: KuraRoute {
        switch self {
        case .health: KuraRoute("GET", "/healthz")
        case .registerParty: KuraRoute("POST", "/v1/parties")
        case .showParty: KuraRoute("GET", "/v1/parties/{id}")
        case .deposit: KuraRoute("POST", "/v1/accounts/{party}/deposits")
        case .withdraw: KuraRoute("POST", "/v1/accounts/{party}/withdrawals")
        case .showAccount: KuraRoute("GET", "/v1/accounts/{party}")
        case .openEscrow: KuraRoute("POST", "/v1/escrows")
        case .listEscrows: KuraRoute("GET", "/v1/escrows")
        case .showEscrow: KuraRoute("GET", "/v1/escrows/{id}")
        case .deliver: KuraRoute("POST", "/v1/escrows/{id}/deliver")
        case .confirm: KuraRoute("POST", "/v1/escrows/{id}/confirm")
        case .dispute: KuraRoute("POST", "/v1/escrows/{id}/dispute")
        case .cancel: KuraRoute("POST", "/v1/escrows/{id}/cancel")
        case .refund: KuraRoute("POST", "/v1/escrows/{id}/refund")
        }
    }

    /// Whether the caller must authenticate. Only the health check is public.
    var requiresAuthentication: Bool { self != .health }

    /// The query parameters the route accepts; any other is refused, like an unknown body field.
    var queryParameters: Set<String> {
        self == .listEscrows ? ["party", "state", "cursor", "limit"] : []
    }
}
