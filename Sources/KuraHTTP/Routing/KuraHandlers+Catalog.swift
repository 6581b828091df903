import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// Registers a catalog operation: its route from the catalog, its answer from its service binding.
    func add(_ binding: some ServiceOperation, to router: Router<KuraRequestContext>) {
        let route = KuraRoute(binding.operation)
        let gate = binding.operation.access == .public ? publicAccess : nil
        let service = self.service
        router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method)!) { request, context in
            if let refusal = await gate?.refusal(request, context: context, service: service) { return refusal }
            return try await respond(to: binding, request, context: context)
        }
    }

    /// Answers a catalog operation, in the steps every authenticated route shares (see ``KuraHandlers``): the
    /// caller, the bounded body, its signature, the query's names; then the path's and the query's values, the
    /// body as JSON, the `Idempotency-Key`; then the service; then the answer, 201 with `Location` when the
    /// operation creates a resource.
    func respond<Binding: ServiceOperation>(to binding: Binding, _ request: Request, context: KuraRequestContext)
        async throws(KuraError) -> Response
    {
        let operation = binding.operation
        guard operation.access != .public else {
            throw KuraError(.internalError, "public operations are not served from the catalog yet")
        }
        let call = try await authenticatedCall(
            request, context, bodyLimit: operation.method == .get ? 0 : Endpoint.maxCommandBodyBytes,
            queryNames: Set(Binding.Query.names))
        var values: [String] = []
        for name in operation.pathParameterNames {
            if Binding.Path.percentDecoded {
                values.append(try call.parameter(name))
            } else {
                values.append(context.parameters.get(name) ?? "")
            }
        }
        let invocation = Invocation<Binding.Path, Binding.Query, Binding.Body>(
            principal: call.principal, path: try Binding.Path(pathValues: values),
            query: try Binding.Query(query: call.query), body: try call.json(),
            idempotencyKey: operation.idempotent ? try call.idempotencyKey : nil)
        let reply = try await binding.perform(on: service, invocation)
        if let page = reply.value as? any PageAnswer { return try page.response() }
        return try JSONResponse.make(reply, created: operation.location?(reply.value))
    }
}

/// A page of a list, answered as `{items, nextCursor}` with `nextCursor` always present.
protocol PageAnswer {
    func response() throws(KuraError) -> Response
}

extension Page: PageAnswer {
    func response() throws(KuraError) -> Response { try JSONResponse.page(self) }
}
