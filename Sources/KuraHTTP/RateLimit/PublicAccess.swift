import Foundation
import Hummingbird
import KuraCore
import KuraProvider
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
    func refusal(_ request: Request, context: KuraRequestContext, service: KuraService) async -> Response? {
        guard perAddress != nil || allAnonymous != nil else { return nil }
        if await Self.carriesValidAPIKey(request, service) { return nil }
        let cost = Self.cost(of: request)
        if let perAddress {
            let client = clients.client(peer: context.clientAddress, headers: request.headers)
            if let wait = perAddress.admit(ClientAddress.bucketKey(client), cost: cost) {
                return RateLimiter.refusal(wait: wait)
            }
        }
        if let allAnonymous, let wait = allAnonymous.admit("*", cost: cost) { return RateLimiter.refusal(wait: wait) }
        return nil
    }

    /// A request's weight in tokens: 1, but a page of receipts counts one per 100 receipts asked for
    /// (`limit`, default 100: a page of 1,000 costs 10) and a reputation batch one per 10 parties, because
    /// their work grows with what they return. A malformed parameter costs 1: the route refuses it cheaply.
    ///
    /// The path and the parameters are read as the router reads them: empty segments (a trailing or a doubled
    /// slash) do not count, and names and values are percent-decoded, so no spelling of a large page weighs less.
    static func cost(of request: Request) -> Double {
        let path = "/" + request.uri.path.split(separator: "/").joined(separator: "/")
        guard path == "/v1/receipts" || path == "/v1/reputation" else { return 1 }
        // Every value of a repeated name: the heaviest is charged, whichever one the route reads.
        var query: [String: [String]] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = parts.first.map(decoded) else { continue }
            query[name, default: []].append(parts.count == 2 ? decoded(parts[1]) : "")
        }
        if path == "/v1/receipts" {
            let limit = (query["limit"] ?? []).compactMap { Int($0) }.filter { $0 > 0 }.max() ?? 1
            return Double((min(limit, 1000) + 99) / 100)
        }
        let ids = (query["ids"] ?? []).map { $0.split(separator: ",").count }.max() ?? 0
        return max(1, Double((min(ids, 100) + 9) / 10))
    }

    /// `Authorization: Bearer <key>` naming an active party. Anything else (no header, a wrong key, a
    /// signature: checking one would write its nonce) counts as anonymous, never as a refusal.
    static func carriesValidAPIKey(_ request: Request, _ service: KuraService) async -> Bool {
        guard let authorization = request.headers.value(of: .authorization) else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        return (try? await service.authenticate(apiKey: String(parts[1]))) != nil
    }
}
