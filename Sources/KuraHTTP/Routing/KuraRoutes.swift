/// One HTTP route: a method and a path template written as in OpenAPI (`/v1/escrows/{id}`).
public struct KuraRoute: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The method in upper case, e.g. `POST`.
    public let method: String
    /// The path template; `{name}` is one path segment.
    public let path: String

    /// Names a route.
    public init(_ method: String, _ path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method) \(path)" }

    public static func < (lhs: KuraRoute, rhs: KuraRoute) -> Bool {
        (lhs.path, lhs.method) < (rhs.path, rhs.method)
    }

    /// Whether a request path (as sent, not decoded) fits the template. Empty segments are ignored, as
    /// Hummingbird's router ignores them.
    func matches(path requestPath: String) -> Bool {
        let template = path.split(separator: "/")
        let actual = requestPath.split(separator: "/")
        guard template.count == actual.count else { return false }
        return zip(template, actual).allSatisfy { pattern, segment in
            (pattern.first == "{" && pattern.last == "}") || pattern == segment
        }
    }
}

/// Every route Kura serves. The router is built from this list and `Schemas/openapi.yaml` is tested
/// against it, so the three cannot drift apart.
public enum KuraRoutes {
    /// All routes, in the order the router registers them.
    public static let all: [KuraRoute] = Endpoint.allCases.map(\.route)

    /// The methods served on a request path, sorted; empty when no route has that path.
    public static func methods(forPath path: String) -> [String] {
        Array(Set(all.filter { $0.matches(path: path) }.map(\.method))).sorted()
    }
}

/// What each route does. One case per route; ``route`` is its method and path.
enum Endpoint: CaseIterable, Sendable {
    case health
    case registerParty, showParty, showPassport
    case deposit, withdraw, showAccount
    case openEscrow, listEscrows, showEscrow
    case deliver, confirm, dispute, cancel, refund

    var route: KuraRoute {
        switch self {
        case .health: KuraRoute("GET", "/healthz")
        case .registerParty: KuraRoute("POST", "/v1/parties")
        case .showParty: KuraRoute("GET", "/v1/parties/{id}")
        case .showPassport: KuraRoute("GET", "/v1/parties/{id}/passport")
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
