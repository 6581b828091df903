import Foundation
import Logging
import Testing

@testable import kura

/// `kura serve`'s text log: the handler that keeps metadata until an event is logged writes the lines
/// `StreamLogHandler` writes with the same metadata set on it.
@Suite("deferred log metadata")
struct DeferredMetadataLogHandlerTests {
    /// Collects what a handler writes.
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func write(_ string: String) { lock.withLock { text += string } }
        /// The lines without their leading timestamp (one word), which differ between two handlers' lines.
        var untimed: [String] {
            lock.withLock { text }.split(separator: "\n").map { String($0.drop { $0 != " " }) }
        }
    }

    @Test("the same lines as StreamLogHandler: logger metadata, call metadata winning a clash, levels")
    func sameLines() {
        let plain = Lines()
        let deferred = Lines()
        var loggers = [
            Logger(label: "kura.test") { StreamLogHandler(label: $0, stream: plain, metadataProvider: nil) },
            Logger(label: "kura.test") {
                DeferredMetadataLogHandler(StreamLogHandler(label: $0, stream: deferred, metadataProvider: nil))
            },
        ]
        for index in loggers.indices {
            loggers[index].logLevel = .warning
            loggers[index].warning("before any metadata")
            loggers[index][metadataKey: "hb.request.id"] = "3"
            loggers[index][metadataKey: "route"] = .dictionary(["path": "/v1/escrows", "methods": .array(["POST"])])
            loggers[index].info("below the level: not written")
            loggers[index].warning("with the logger's metadata")
            loggers[index].error("the call's metadata wins", metadata: ["route": "explicit", "status": "500"])
            loggers[index][metadataKey: "route"] = nil
            loggers[index].warning("one member removed")
        }
        #expect(plain.untimed.count == 4)
        #expect(deferred.untimed == plain.untimed)
        #expect(plain.untimed[2].contains("hb.request.id=3 route=explicit status=500"))
    }

    @Test("the level and the metadata provider are the base handler's")
    func levelAndProvider() {
        var handler = DeferredMetadataLogHandler(StreamLogHandler(label: "kura.test", stream: Lines()))
        handler.logLevel = .critical
        #expect(handler.base.logLevel == .critical)
        handler.metadataProvider = Logger.MetadataProvider { ["trace": "t"] }
        #expect(handler.base.metadataProvider?.get()["trace"] == "t")
        handler[metadataKey: "k"] = "v"
        #expect(handler.base.metadata.isEmpty)
    }
}
