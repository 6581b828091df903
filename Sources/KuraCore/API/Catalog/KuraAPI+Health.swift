extension KuraAPI {
    /// `GET /healthz`: 200 `{"status":"ok"}` while the server answers (liveness). It answers whatever it is
    /// asked: no query parameter is refused.
    public static let health = KuraOperation<NoPath, AnyQuery, EmptyRequest, ServerStatus>.get(
        "health", "/healthz", access: .public, problems: [])

    /// `GET /readyz`: 200 `{"status":"ready"}` when the database answers a read, still holds the last event this
    /// node answered for, and the writer is not stalled; otherwise 503 `not_ready` saying which (readiness).
    public static let ready = KuraOperation<NoPath, NoQuery, EmptyRequest, ServerStatus>.get(
        "ready", "/readyz", access: .public, problems: [.invalidRequest, .notReady])

    /// The probes of the server's own state.
    static let probes: [any KuraOperationDescription] = [health, ready]
}

/// The answer of a probe: `{"status": "ok"}` or `{"status": "ready"}`.
public struct ServerStatus: Codable, Sendable, Equatable {
    public var status: String
    public init(status: String) { self.status = status }
}

/// A query that is not read and not checked: the liveness probe's, which answers whatever it is asked.
public struct AnyQuery: OperationQuery, Equatable {
    public init() {}
    public static var names: [String] { [] }
    public static var refusesUnknownNames: Bool { false }
    public init(query: [String: String]) throws(KuraError) {}
    public var queryItems: [(name: String, value: String)] { [] }
}
