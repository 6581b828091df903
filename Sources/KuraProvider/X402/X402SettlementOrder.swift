/// When ``X402PaymentMiddleware`` settles a v2 payment, relative to serving the route.
///
/// x402 lets each scheme order fulfilment and settlement. In both orders an authorization is served once and paid
/// once, also by several provider processes (Kura settles it once and refuses its repeats, but for the payer's
/// identified retry): the difference is what a route that fails costs the payer, and how many calls to Kura a
/// paid request makes.
public enum X402SettlementOrder: String, Sendable, CaseIterable {
    /// Verify with Kura, serve, read the whole answer, then settle a 2xx answer only: a route (or its body) that
    /// fails costs the payer nothing. Two calls to Kura per paid request, and a settlement that fails after the
    /// route ran (the payer spent the money elsewhere in between, or another provider process settled the same
    /// authorization first) discards the answer it made. The default.
    case afterServing = "after-serving"
    /// Settle first (Kura's settle verifies the payment itself), then serve: one call to Kura per paid request,
    /// and the route runs only for money already durable in Kura's log. A route that then fails (an error answer,
    /// a thrown error, a body that fails) keeps the payment under `exact`, and its answer carries
    /// `PAYMENT-RESPONSE` so the payer knows; a retry of the same payload with a payment identifier is served
    /// again without paying twice. Under `escrow` it leaves the escrow undelivered, returned to the payer when it
    /// expires. For routes that do not fail once paid; put the middleware on those routes (a route group), not in
    /// front of the whole router, where a request for a path that does not exist would be settled before its 404.
    case beforeServing = "before-serving"
}
