import Hummingbird
import KuraCore
import KuraCrypto
import KuraService
import Logging

/// The route handlers over one ``KuraService``. Each handler parses, calls the service, renders; no rule
/// lives here. The steps common to every authenticated route run in ``respond(to:_:context:)``, in this
/// order: caller from the headers (401/403), body bounded by the route (413), the signature over it (401),
/// query (400), then the route itself; so no body is read for a caller who is not known. The public routes
/// (``KuraRoutes/publicRoutes``) first pass ``PublicAccess`` (429), then skip the caller: query (400), the
/// body of a POST (413), path (400), then the route.
struct KuraHandlers: Sendable {
    let service: KuraService
    /// The largest body any route reads; each route reads at most its own ``Endpoint/maxBodyBytes`` below it.
    let maxBodyBytes: Int
    /// Metrics, readiness and the explorer (Operations/).
    var operations: OperationsSettings
    /// Where the one line per request goes.
    var logger: Logger
    /// The rate limits of the public routes; nil: none.
    var publicAccess: PublicAccess? = nil
    /// How long a public read waits for the checkpointer's next checkpoint when none issued covers what it
    /// asks for; zero when no checkpointer runs (``servingEnvironment``).
    var checkpointWait: Duration = .zero

    /// Builds the router from ``KuraRoutes/all``, behind the problem+json middleware.
    func makeRouter() -> Router<KuraRequestContext> {
        let router = Router(context: KuraRequestContext.self)
        // Outermost: the request ID, the request log line and the request metrics see every answer.
        router.add(
            middleware: OperationsMiddleware(
                metrics: operations.metrics, logger: logger, routes: RouteTable(KuraRoutes.all)))
        // Next, so it wraps every route and the router's own not-found answer.
        router.add(middleware: ProblemMiddleware())
        // The operation catalog: each operation with its service binding, through one generic path (the public
        // reads, the standard x402 facilitator and the probes included).
        for operation in KuraService.operations { add(operation, to: router) }
        // Metrics (operator) and the explorer page: not operations (see OperationsEndpoint).
        add(OperationsEndpoint.allCases, \.route, to: router) { try await respond(to: $0, $1, context: $2) }
        return router
    }

    /// Registers each endpoint's route with the handler that answers it.
    private func add<E: Sendable>(
        _ endpoints: [E], _ route: (E) -> KuraRoute, to router: Router<KuraRequestContext>,
        _ respond: @escaping @Sendable (E, Request, KuraRequestContext) async throws -> Response
    ) {
        for endpoint in endpoints {
            let route = route(endpoint)
            let gate = KuraRoutes.publicRoutes.contains(route) ? publicAccess : nil
            let service = self.service
            router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method)!) { request, context in
                if let refusal = await gate?.refusal(request, context: context, service: service) { return refusal }
                return try await respond(endpoint, request, context)
            }
        }
    }

    /// The steps every authenticated route shares, in order: the caller from its headers, the bounded body, the
    /// signature over it when the headers did not settle who calls, then the query's names.
    func authenticatedCall(
        _ request: Request, _ context: KuraRequestContext, bodyLimit: Int, queryNames: Set<String>
    ) async throws(KuraError) -> Call {
        let authenticator = RequestAuthenticator(service: service)
        let known = try await authenticator.callerFromHeaders(request)
        let body = try await RequestInput.body(of: request, limit: min(maxBodyBytes, bodyLimit))
        let principal: Principal
        if let known {
            principal = known
        } else {
            principal = try await authenticator.principal(for: request, body: body)
        }
        return Call(
            request: request, parameters: context.parameters, principal: principal, body: body,
            query: try RequestInput.query(request.uri.query, allowed: queryNames))
    }
}
