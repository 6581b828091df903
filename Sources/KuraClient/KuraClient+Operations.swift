import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// Calls any catalog operation (``KuraAPI``): the path filled in from `path`, the query from `query`, the
    /// body the canonical JSON of `body` (a POST only), and the answer decoded as the operation's response.
    /// A POST carries `idempotencyKey`, or a fresh key reused by every retry of this call.
    public func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, at path: Path, query: Query, body: Body,
        idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Response {
        let target = operation.path(for: path) + OperationQueryEncoding.queryString(query.queryItems)
        switch operation.method {
        case .get:
            return try await call(.GET, target, as: Response.self)
        case .post:
            return try await call(
                .POST, target, body: try Self.json(body), idempotencyKey: idempotencyKey, as: Response.self)
        }
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
