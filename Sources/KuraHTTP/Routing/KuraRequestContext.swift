import Hummingbird

/// The per-request context of Kura's router. Kura keeps nothing in it beyond Hummingbird's core storage:
/// the principal and body travel as values through ``KuraHandlers``.
struct KuraRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address (what public reads are rate-limited by), or `unknown`.
    let clientAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
