import Hummingbird

extension Response {
    /// The answer Hummingbird would give for an error a route threw (its status, else 500). A payment middleware
    /// answers a paid route's failure itself with this, so that the answer still says what was paid.
    static func answering<Context: RequestContext>(_ error: any Error, to request: Request, context: Context)
        -> Response
    {
        if let error = error as? any HTTPResponseError,
            let response = try? error.response(from: request, context: context)
        {
            return response
        }
        return Response(status: .internalServerError)
    }
}
