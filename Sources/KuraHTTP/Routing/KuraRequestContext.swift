import Hummingbird

/// The per-request context of Kura's router. Kura keeps nothing in it beyond Hummingbird's core storage:
/// the principal and body travel as values through ``KuraHandlers``.
struct KuraRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's address as text, written when asked: only public reads and the request log need it, and
    /// writing it for every request was 1.7 % of the request threads under the escrow load (profiled). The
    /// address itself is taken now: once the connection closes, the channel no longer knows it, and the
    /// request log line of a client that left must still name it.
    private let peer: @Sendable () -> String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let address = source.channel.remoteAddress
        peer = { address?.ipAddress ?? "unknown" }
    }

    /// The client's IP address (what public reads are rate-limited by), or `unknown`.
    var clientAddress: String { peer() }
}
