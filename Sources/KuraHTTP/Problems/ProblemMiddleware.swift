import Hummingbird
import KuraCore
import KuraProvider
import KuraService
import Logging

/// Turns every error into a problem+json answer, so nothing leaves the server as a bare status.
///
/// Handlers throw ``KuraError``; the router's own "no such route" becomes 404 `not_found`, or 405
/// `method_not_allowed` with an `Allow` header when the path exists under other methods. Anything else is a
/// bug: it is logged and answered 500 `internal_error`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = KuraRequestContext

    func handle(
        _ request: Request, context: KuraRequestContext, next: (Request, KuraRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as KuraError {
            // A pending checkpoint or a full public reader queue is a normal moment of a public read, not a
            // failure of the server.
            if Problem.status(for: error.code).code >= 500, error.code != .checkpointPending,
                error.code != .overloaded
            {
                context.logger.error(
                    "request failed",
                    metadata: [
                        "code": "\(error.code)", "detail": "\(error.detail)", "path": "\(request.uri.path)",
                        "requestId": "\(RequestTrace.current?.id ?? "-")",
                    ])
            }
            return Problem.response(for: error)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = KuraRoutes.methods(forPath: request.uri.path)
            if methods.isEmpty {
                return Problem.response(
                    for: KuraError(.notFound, "no route \(RequestInput.printable(request.uri.path))"))
            }
            return Problem.response(
                for: KuraError(
                    .methodNotAllowed,
                    "\(request.method.rawValue) is not allowed on \(RequestInput.printable(request.uri.path)); use \(methods.joined(separator: " or "))"
                ),
                allow: methods)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return Problem.response(for: KuraError(.payloadTooLarge, "the request body is too large"))
        } catch {
            context.logger.error(
                "unexpected error",
                metadata: [
                    "error": "\(error)", "path": "\(request.uri.path)",
                    "requestId": "\(RequestTrace.current?.id ?? "-")",
                ])
            return Problem.response(for: KuraError(.internalError, "\(error)"))
        }
    }
}
