import KuraCore

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

    /// The route of a catalog operation.
    public init(_ operation: any KuraOperationDescription) {
        self.init(operation.method.rawValue, operation.path)
    }

    /// `METHOD /path`, e.g. `POST /v1/escrows`.
    public var description: String { "\(method) \(path)" }

    /// Orders by path, then method, for stable listings.
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
