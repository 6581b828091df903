import Dispatch
import Hummingbird
import KuraCore
import KuraProvider
import Logging

/// The outermost middleware: gives each request an ID (``RequestTrace``), answers with it in `X-Request-ID`,
/// counts and times the request in ``KuraMetrics``, and writes one log line for it.
///
/// The line holds the request ID, method, route template, path (without the query), status, duration,
/// client address and, for a refusal, the problem code. Never a header, a query or a body: those carry API
/// keys, signatures, envelopes and payment proofs, and none of them may reach a log.
struct OperationsMiddleware: RouterMiddleware {
    typealias Context = KuraRequestContext

    let metrics: KuraMetrics
    let logger: Logger
    let routes: RouteTable

    func handle(
        _ request: Request, context: KuraRequestContext, next: (Request, KuraRequestContext) async throws -> Response
    ) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let trace = RequestTrace(id: RequestTrace.id(requested: request.headers.value(of: RequestTrace.header)))
        let route = routes.template(method: request.method.rawValue, path: request.uri.path) ?? "unmatched"
        do {
            var response = try await RequestTrace.$current.withValue(trace) { try await next(request, context) }
            response.headers[RequestTrace.header] = trace.id
            finish(request, route: route, status: Int(response.status.code), trace: trace, context, since: started)
            return response
        } catch {
            // ProblemMiddleware answers every error; what still arrives here (a cancelled request) is logged
            // as the 500 Hummingbird will answer.
            finish(request, route: route, status: 500, trace: trace, context, since: started)
            throw error
        }
    }

    private func finish(
        _ request: Request, route: String, status: Int, trace: RequestTrace, _ context: KuraRequestContext,
        since started: UInt64
    ) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let method = request.method.rawValue
        metrics.request(method: method, route: route, status: status, seconds: seconds)
        if status == 429 { metrics.rateLimited(route: route) }
        if let operation = Self.facilitatorOperation(method: method, route: route) {
            metrics.facilitator(
                operation: operation, reason: trace.reason ?? trace.code ?? (status < 400 ? "ok" : "http_\(status)"))
        }
        // The line's metadata costs a dictionary and seven interpolations: only build it when it is written.
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "requestId": "\(trace.id)", "method": "\(method)", "route": "\(route)",
            "path": "\(RequestInput.printable(request.uri.path))", "status": "\(status)",
            "durationMs": "\(Double(Int(seconds * 100_000)) / 100)", "client": "\(context.clientAddress)",
        ]
        if let code = trace.code { metadata["code"] = "\(code)" }
        if let reason = trace.reason { metadata["reason"] = "\(reason)" }
        logger.info("request", metadata: metadata)
    }

    /// `verify` or `settle` for the facilitator routes (Kura's own and the x402 standard's), else nil.
    static func facilitatorOperation(method: String, route: String) -> String? {
        guard method == "POST" else { return nil }
        switch route {
        case "/x402/verify", "/facilitator/verify": return "verify"
        case "/x402/settle", "/facilitator/settle": return "settle"
        default: return nil
        }
    }
}

/// Finds the route template a request path belongs to, for metrics labels: `/v1/escrows/esc_4f…` counts as
/// `/v1/escrows/{id}`, so the label set stays as small as the route list.
struct RouteTable: Sendable {
    private let routes: [Int: [(method: String, segments: [Substring?], template: String)]]

    init(_ routes: [KuraRoute]) {
        var table: [Int: [(method: String, segments: [Substring?], template: String)]] = [:]
        for route in routes {
            let segments = route.path.split(separator: "/").map { segment -> Substring? in
                segment.first == "{" && segment.last == "}" ? nil : segment
            }
            table[segments.count, default: []].append((route.method, segments, route.path))
        }
        // Literal segments first, so `/v1/reputation/x/attestation` never counts as a template with more
        // parameters when both would fit.
        self.routes = table.mapValues {
            $0.sorted { $0.segments.filter { $0 == nil }.count < $1.segments.filter { $0 == nil }.count }
        }
    }

    /// The template of the route serving `method` on `path`, or nil when none does.
    func template(method: String, path: String) -> String? {
        let actual = path.split(separator: "/")
        for candidate in routes[actual.count] ?? [] where candidate.method == method {
            if zip(candidate.segments, actual).allSatisfy({ pattern, segment in pattern == nil || pattern == segment })
            {
                return candidate.template
            }
        }
        return nil
    }
}
