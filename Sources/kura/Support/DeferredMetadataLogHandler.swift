import Logging

/// Holds a logger's metadata itself and hands it to `base` only with an event that is logged.
///
/// Hummingbird sets a request ID on its logger for every request; `StreamLogHandler` formats all of its
/// metadata again on every such set (about 1 % of the server's CPU under load, profiled), although most requests
/// log nothing at the configured level. The lines written are the base handler's own: its metadata is left
/// empty and this handler's travels with each event, as metadata given at the call does.
struct DeferredMetadataLogHandler<Base: LogHandler>: LogHandler {
    var base: Base
    var metadata: Logger.Metadata = [:]

    init(_ base: Base) { self.base = base }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard !metadata.isEmpty else { return base.log(event: event) }
        var event = event
        // Metadata given at the call wins over the logger's, as in every swift-log handler.
        event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        base.log(event: event)
    }
}
