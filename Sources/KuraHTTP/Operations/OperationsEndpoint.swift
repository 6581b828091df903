/// The routes for the people who run Kura and look at it: readiness, metrics, and the explorer page.
enum OperationsEndpoint: CaseIterable, Sendable {
    case ready, metrics
    case explorerPage, explorerScript, explorerStyle

    var route: KuraRoute {
        switch self {
        case .ready: KuraRoute("GET", "/readyz")
        case .metrics: KuraRoute("GET", "/metrics")
        case .explorerPage: KuraRoute("GET", "/explorer")
        case .explorerScript: KuraRoute("GET", "/explorer/explorer.js")
        case .explorerStyle: KuraRoute("GET", "/explorer/explorer.css")
        }
    }

    /// Whether anyone may call it. `/metrics` on the API port needs the operator's credentials.
    var isPublic: Bool { self != .metrics }
}
