/// The public routes of the transparency log: receipts, bundles, checkpoints, consistency proofs and
/// the verifier key. Anyone may check a receipt, so none of them asks for credentials (any that are
/// sent are ignored, as on `/healthz`), and none of them changes the event log.
enum LogEndpoint: CaseIterable, Sendable {
    case listReceipts, showReceipt, receiptBundle
    case checkpoint, consistency, verifierKey
    case jwks

    var route: KuraRoute {
        switch self {
        case .listReceipts: KuraRoute("GET", "/v1/receipts")
        case .showReceipt: KuraRoute("GET", "/v1/receipts/{index}")
        case .receiptBundle: KuraRoute("GET", "/v1/receipts/{index}/bundle")
        case .checkpoint: KuraRoute("GET", "/v1/log/checkpoint")
        case .consistency: KuraRoute("GET", "/v1/log/consistency")
        case .verifierKey: KuraRoute("GET", "/v1/log/key")
        case .jwks: KuraRoute("GET", "/.well-known/jwks.json")
        }
    }

    /// The query parameters the route accepts; any other is refused.
    var queryParameters: Set<String> {
        switch self {
        case .listReceipts: ["party", "kind", "cursor", "limit"]
        case .receiptBundle: ["size"]
        case .consistency: ["from", "to"]
        case .showReceipt, .checkpoint, .verifierKey, .jwks: []
        }
    }
}
