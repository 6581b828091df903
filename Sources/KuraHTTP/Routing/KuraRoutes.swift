import KuraCore
import KuraService

/// Every route Kura serves: the operation catalog (``KuraAPI``) and the few routes that are not operations. The router is
/// built from this list and `Schemas/openapi.yaml` is tested against it, so the three cannot drift apart.
public enum KuraRoutes {
    /// All routes, in the order the router registers them.
    public static let all: [KuraRoute] = catalog + uncataloged

    /// The routes of the operation catalog (``KuraAPI``) as the router registers them: from the service's
    /// bindings, so an entry without one is not listed as served (a test checks every entry has one).
    static let catalog: [KuraRoute] = KuraService.operations.map { KuraRoute($0.described) }

    /// The routes that are not operations (metrics, the explorer's files), after the catalog.
    private static let uncataloged: [KuraRoute] = OperationsEndpoint.allCases.map(\.route)

    /// The routes that need no credentials: the health and readiness checks, the explorer page, the
    /// transparency log's reads (receipts, bundles, checkpoints, consistency proofs, the verifier key, the JWK
    /// set), reputation and passports, and the x402 facilitator. Credentials sent to them are ignored, except
    /// that a valid API key exempts a request from the public rate limits (``PublicAccess``).
    /// Docs/authentication.md lists them.
    public static let publicRoutes: Set<KuraRoute> = Set(
        publicCatalog + OperationsEndpoint.allCases.filter(\.isPublic).map(\.route))

    /// The catalog's public routes.
    private static let publicCatalog: [KuraRoute] = KuraService.operations.map(\.described).filter {
        $0.access == .public
    }.map { KuraRoute($0) }

    /// The methods served on a request path, sorted; empty when no route has that path.
    public static func methods(forPath path: String) -> [String] {
        Array(Set(all.filter { $0.matches(path: path) }.map(\.method))).sorted()
    }
}
