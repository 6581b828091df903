import KuraCore

extension Backend {
    /// A command on a resource, e.g. `perform(KuraAPI.deliverEscrow, at: id, DeliverRequest(evidence: …))`.
    func perform<Path, Body, Response>(
        _ operation: KuraOperation<Path, NoQuery, Body, Response>, at path: Path, _ body: Body,
        idempotencyKey: String?
    ) async throws -> Response {
        try await perform(operation, at: path, query: NoQuery(), body: body, idempotencyKey: idempotencyKey)
    }

    /// A command that creates a resource, e.g. `perform(KuraAPI.openEscrow, request, idempotencyKey: key)`.
    func perform<Body, Response>(
        _ operation: KuraOperation<NoPath, NoQuery, Body, Response>, _ body: Body, idempotencyKey: String?
    ) async throws -> Response {
        try await perform(operation, at: NoPath(), query: NoQuery(), body: body, idempotencyKey: idempotencyKey)
    }

    /// A read of a resource, e.g. `perform(KuraAPI.showEscrow, at: id)`.
    func perform<Path, Response>(_ operation: KuraOperation<Path, NoQuery, EmptyRequest, Response>, at path: Path)
        async throws -> Response
    {
        try await perform(operation, at: path, query: NoQuery(), body: EmptyRequest(), idempotencyKey: nil)
    }

    /// A list, e.g. `perform(KuraAPI.listEscrows, query: EscrowListQuery(state: .delivered))`.
    func perform<Query, Response>(_ operation: KuraOperation<NoPath, Query, EmptyRequest, Response>, query: Query)
        async throws -> Response
    {
        try await perform(operation, at: NoPath(), query: query, body: EmptyRequest(), idempotencyKey: nil)
    }
}
