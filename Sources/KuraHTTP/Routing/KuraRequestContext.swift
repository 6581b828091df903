import Hummingbird

/// The per-request context of Kura's router. Kura keeps nothing in it beyond Hummingbird's core storage:
/// the principal and body travel as values through ``KuraHandlers``.
struct KuraRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
