/// The routes for the people who run Kura and look at it: metrics and the explorer page. They are not Kura
/// operations, so not in the operation catalog (``KuraAPI``): the explorer's are static files (HTML, script,
/// style sheet) and `/metrics` is the Prometheus text exposition, for the operator only (its own listener, or the
/// operator's credentials on this port). `Schemas/openapi.yaml` lists them, and a test checks them against it as
/// it checks every route. The probes (`/healthz`, `/readyz`) are in the catalog.
enum OperationsEndpoint: CaseIterable, Sendable {
    case metrics
    case explorerPage, explorerScript, explorerStyle

    var route: KuraRoute {
        switch self {
        case .metrics: KuraRoute("GET", "/metrics")
        case .explorerPage: KuraRoute("GET", "/explorer")
        case .explorerScript: KuraRoute("GET", "/explorer/explorer.js")
        case .explorerStyle: KuraRoute("GET", "/explorer/explorer.css")
        }
    }

    /// Whether anyone may call it. `/metrics` on the API port needs the operator's credentials.
    var isPublic: Bool { self != .metrics }
}
