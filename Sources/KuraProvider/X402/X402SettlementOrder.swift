/// When ``X402PaymentMiddleware`` settles a v2 payment, relative to serving the route.
///
/// x402 lets each scheme order fulfilment and settlement. Both orders serve nothing unpaid and pay once: the
/// difference is what a route that fails costs the payer, and how many calls to Kura a paid request makes.
public enum X402SettlementOrder: String, Sendable, CaseIterable {
    /// Verify with Kura, serve, then settle a 2xx answer only: a route that fails costs the payer nothing. Two
    /// calls to Kura per paid request, and a settlement that fails after the route ran (the payer spent the
    /// money elsewhere in between) discards the answer it made. The default.
    case afterServing = "after-serving"
    /// Settle first (Kura's settle verifies the payment itself), then serve: one call to Kura per paid request,
    /// and the route runs only for money already durable in Kura's log. A route that then fails keeps the
    /// payment under `exact` (its answer carries `PAYMENT-RESPONSE`, so the payer knows; a retry of the same
    /// payload with a payment identifier is served again without paying twice) and leaves an `escrow`
    /// undelivered, returned to the payer when it expires. For routes that do not fail once paid.
    case beforeServing = "before-serving"
}
