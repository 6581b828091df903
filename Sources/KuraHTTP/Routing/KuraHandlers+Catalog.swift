import HTTPTypes
import Hummingbird
import KuraCore
import KuraCrypto
import KuraProvider
import KuraService

extension KuraHandlers {
    /// The largest body a POST reads: 64 KiB. Kura's requests are small JSON objects (IDs, amounts, digests,
    /// signatures; the largest, an x402 payment, is a few KiB); the server's configured limit applies on top of
    /// this one. A GET reads none: any body is refused (413) without being read.
    static let maxCommandBodyBytes = 64 << 10

    /// Registers a catalog operation: its route from the catalog, its answer from its service binding. A public
    /// operation first passes ``PublicAccess`` (429).
    func add(_ binding: some ServiceOperation, to router: Router<KuraRequestContext>) {
        let route = KuraRoute(binding.operation)
        let gate = binding.operation.access == .public ? publicAccess : nil
        let service = self.service
        router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method)!) { request, context in
            if let refusal = await gate?.refusal(request, context: context, service: service) { return refusal }
            return try await respond(to: binding, request, context: context)
        }
    }

    /// Answers a catalog operation. An authenticated one takes the steps every authenticated route shares (see
    /// ``KuraHandlers``): the caller, the bounded body, its signature, the query's names. A public one reads no
    /// credentials (any sent are ignored): the query's names, then the bounded body of a POST (a public GET reads
    /// none). Then both: the path's and the query's values, the body as JSON (or its bytes, for a body type that
    /// reads them itself), the `Idempotency-Key`; then the service; then the answer: 201 with `Location` when the
    /// operation creates a resource, in the response type's own representation when it has one.
    func respond<Binding: ServiceOperation>(to binding: Binding, _ request: Request, context: KuraRequestContext)
        async throws(KuraError) -> Response
    {
        let operation = binding.operation
        let bodyLimit = operation.method == .get ? 0 : Self.maxCommandBodyBytes
        let queryNames: Set<String>? = Binding.Query.refusesUnknownNames ? Set(Binding.Query.names) : nil
        let principal: Principal?
        let body: [UInt8]
        let query: [String: String]
        if operation.access == .public {
            principal = nil
            query =
                try queryNames.map { names throws(KuraError) in
                    try RequestInput.query(request.uri.query, allowed: names)
                } ?? [:]
            body = bodyLimit == 0 ? [] : try await RequestInput.body(of: request, limit: min(maxBodyBytes, bodyLimit))
        } else {
            let call = try await authenticatedCall(
                request, context, bodyLimit: bodyLimit, queryNames: queryNames ?? Set(Binding.Query.names))
            (principal, body, query) = (call.principal, call.body, call.query)
        }
        var values: [String] = []
        for name in operation.pathParameterNames {
            guard let raw = context.parameters.get(name) else {
                throw KuraError(.internalError, "route has no parameter \(name)")
            }
            values.append(
                Binding.Path.percentDecoded
                    ? try RequestInput.percentDecoded(raw[...], what: "path parameter '\(name)'") : raw)
        }
        let invocation = Invocation<Binding.Path, Binding.Query, Binding.Body>(
            principal: principal, path: try Binding.Path(pathValues: values),
            query: try Binding.Query(query: query),
            body: Binding.Body.readsBodyBytes ? .null : try RequestInput.json(body), bytes: body,
            idempotencyKey: operation.idempotent ? try Call.idempotencyKey(of: request) : nil,
            environment: servingEnvironment)
        let reply = try await binding.perform(on: service, invocation)
        if let verdict = reply.value as? any OperationVerdict {
            RequestTrace.current?.refused(reason: verdict.refusalReason)
        }
        if let page = reply.value as? any PageAnswer { return try page.response() }
        let location = operation.location?(reply.value) ?? nil
        var response: Response
        if let represented = reply.value as? any OperationRepresentation {
            response = RawResponse.make(try represented.representation(), contentType: type(of: represented).mediaType)
        } else {
            response = try JSONResponse.make(reply.value)
        }
        if reply.replayed { response.headers[KuraHeader.idempotentReplayed] = "true" }
        if let location {
            response.status = .created
            response.headers[.location] = location
        }
        if let metadata = reply.value as? any OperationAnswerHeaders {
            for (name, value) in metadata.answerHeaders {
                guard let field = HTTPField.Name(name) else {
                    throw KuraError(.internalError, "\(name) is not a header name")
                }
                response.headers[field] = value
            }
        }
        return response
    }
}

/// A page of a list, answered as `{items, nextCursor}` with `nextCursor` always present.
protocol PageAnswer {
    func response() throws(KuraError) -> Response
}

extension Page: PageAnswer {
    func response() throws(KuraError) -> Response { try JSONResponse.page(self) }
}
