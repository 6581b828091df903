extension KuraError.Code {
    // The codes of a serving process rather than of the domain. They are declared here, beside the others, so
    // that `Problem` (KuraProvider), which maps every code to an HTTP status, sees them without linking the
    // store, the service or the server that produce them.

    /// A bounded queue is full; try again later (HTTP 503 with `Retry-After`). The store's reader lanes produce it.
    public static let overloaded = KuraError.Code(rawValue: "overloaded")

    /// No checkpoint issued yet covers what a public read asks for; the checkpointer issues the next one
    /// within its interval (HTTP 503 with `Retry-After`).
    public static let checkpointPending = KuraError.Code(rawValue: "checkpoint_pending")

    /// The server runs but should not get traffic now: the database does not answer, or the writer is stalled
    /// (HTTP 503). Only KuraHTTP produces it.
    public static let notReady = KuraError.Code(rawValue: "not_ready")

    /// Too many requests from one client address (HTTP 429, with `Retry-After`). Only KuraHTTP produces it.
    public static let rateLimited = KuraError.Code(rawValue: "rate_limited")
}
