import Hummingbird
import KuraCore
import KuraService

/// The gate in front of every public route (``KuraRoutes/publicRoutes``): anonymous requests are
/// rate-limited per client address and all together; a request that carries a valid API key is the
/// registered party's and passes (the x402 middleware's calls to the facilitator routes, for one, come
/// from a single provider address). Credentials are otherwise still ignored by the public routes.
struct PublicAccess: Sendable {
    /// One bucket per client address (IPv6: per /64); nil: none.
    let perAddress: RateLimiter?
    /// One bucket for all anonymous requests; nil: none.
    let allAnonymous: RateLimiter?
    /// Who a request comes from.
    let clients: ClientAddress

    /// nil when the request may go on, else the 429 answer.
    func refusal(_ request: Request, context: KuraRequestContext, service: KuraService) -> Response? {
        guard perAddress != nil || allAnonymous != nil else { return nil }
        if Self.carriesValidAPIKey(request, service) { return nil }
        if let perAddress {
            let client = clients.client(peer: context.clientAddress, headers: request.headers)
            if let wait = perAddress.admit(ClientAddress.bucketKey(client)) { return RateLimiter.refusal(wait: wait) }
        }
        if let allAnonymous, let wait = allAnonymous.admit("*") { return RateLimiter.refusal(wait: wait) }
        return nil
    }

    /// `Authorization: Bearer <key>` naming an active party. Anything else (no header, a wrong key, a
    /// signature: checking one would write its nonce) counts as anonymous, never as a refusal.
    static func carriesValidAPIKey(_ request: Request, _ service: KuraService) -> Bool {
        guard let authorization = request.headers[.authorization] else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        return (try? service.authenticate(apiKey: String(parts[1]))) != nil
    }
}
