import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// Calls any catalog operation (``KuraAPI``): the path filled in from `path`, the query from `query`, the
    /// body the canonical JSON of `body` (a POST only), and the answer read as the operation's response: by its
    /// own representation when the response type has one (``OperationRepresentation``: text, a JWK set, an x402
    /// message), else decoded from JSON. A POST carries `idempotencyKey`, or a fresh key reused by every retry
    /// of this call.
    public func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, at path: Path, query: Query, body: Body,
        idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Response {
        let target = operation.path(for: path) + OperationQueryEncoding.queryString(query.queryItems)
        let response: KuraClient.Response
        switch operation.method {
        case .get:
            response = try await send(.GET, target)
        case .post:
            response = try await send(
                .POST, target, canonicalBody: try Self.canonicalJSON(body), idempotencyKey: idempotencyKey,
                signed: true)
        }
        guard let represented = Response.self as? any OperationRepresentation.Type else {
            return try Self.decode(Response.self, response)
        }
        let value: any OperationRepresentation
        do { value = try represented.init(representation: response.body) } catch {
            throw KuraClientError(
                kind: .invalid, status: response.status, code: "invalid_response", detail: error.detail)
        }
        guard let answer = value as? Response else {
            throw KuraClientError(
                kind: .invalid, status: response.status, code: "invalid_response",
                detail: "unexpected answer: not a \(Response.self)")
        }
        return answer
    }

    /// A command on a resource, e.g. `perform(KuraAPI.deliverEscrow, at: id, DeliverRequest(evidence: …))`.
    public func perform<Path, Body, Response>(
        _ operation: KuraOperation<Path, NoQuery, Body, Response>, at path: Path, _ body: Body,
        idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Response {
        try await perform(operation, at: path, query: NoQuery(), body: body, idempotencyKey: idempotencyKey)
    }

    /// A command that creates a resource, e.g. `perform(KuraAPI.openEscrow, request)`.
    public func perform<Body, Response>(
        _ operation: KuraOperation<NoPath, NoQuery, Body, Response>, _ body: Body, idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Response {
        try await perform(operation, at: NoPath(), query: NoQuery(), body: body, idempotencyKey: idempotencyKey)
    }

    /// A read of a resource, e.g. `perform(KuraAPI.showEscrow, at: id)`.
    public func perform<Path, Response>(
        _ operation: KuraOperation<Path, NoQuery, EmptyRequest, Response>, at path: Path
    )
        async throws(KuraClientError) -> Response
    {
        try await perform(operation, at: path, query: NoQuery(), body: EmptyRequest())
    }

    /// A list, e.g. `perform(KuraAPI.listEscrows, query: EscrowListQuery(state: .delivered))`.
    public func perform<Query, Response>(
        _ operation: KuraOperation<NoPath, Query, EmptyRequest, Response>, query: Query
    )
        async throws(KuraClientError) -> Response
    {
        try await perform(operation, at: NoPath(), query: query, body: EmptyRequest())
    }
}
