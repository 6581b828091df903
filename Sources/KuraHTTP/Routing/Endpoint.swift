/// The routes not yet declared in the operation catalog (``KuraAPI``), one case per route; ``route`` is its
/// method and path. The party, escrow, dispute, channel and payment operations and the facilitator's
/// mandates, positions and prices, and the public reads and probes are in the catalog, served by ``KuraHandlers/add(_:to:)``; each group that
/// moves there leaves this list.
enum Endpoint: CaseIterable, Sendable {
    case deposit, withdraw, showAccount
    case verify, settle, showReservation
    case showWithdrawal, acceptChainReceipt

    var route: KuraRoute {
        switch self {
        case .deposit: KuraRoute("POST", "/v1/accounts/{party}/deposits")
        case .withdraw: KuraRoute("POST", "/v1/accounts/{party}/withdrawals")
        case .showAccount: KuraRoute("GET", "/v1/accounts/{party}")
        case .verify: KuraRoute("POST", "/x402/verify")
        case .settle: KuraRoute("POST", "/x402/settle")
        case .showReservation: KuraRoute("GET", "/v1/reservations/{id}")
        case .showWithdrawal: KuraRoute("GET", "/v1/withdrawals/{id}")
        case .acceptChainReceipt: KuraRoute("POST", "/v1/solana/receipts")
        }
    }

    /// The query parameters the route accepts (none of these routes takes one); any other is refused, like an
    /// unknown body field.
    var queryParameters: Set<String> { [] }
}
