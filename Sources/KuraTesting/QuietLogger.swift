import Foundation
import Logging

extension Logger {
    /// A logger that writes nothing: what a test hands a server, a service or a client whose log lines it does not
    /// read (a test that reads them captures them with its own handler).
    public static func quiet(_ label: String = "kura.test") -> Logger {
        Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
}

/// A log handler that keeps every line it is given, for a test that reads what was logged.
public final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(message: String, metadata: Logger.Metadata)] = []
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        lock.withLock { lines.append(("\(event.message)", event.metadata ?? [:])) }
    }

    /// A logger that writes here.
    public var logger: Logger { Logger(label: "kura.test", factory: { _ in self }) }

    /// Every line, as its message and metadata.
    public var text: String { lock.withLock { lines.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") } }

    /// The metadata of each line with this message, values as text.
    public func metadata(of message: String) -> [[String: String]] {
        lock.withLock { lines.filter { $0.message == message }.map { $0.metadata.mapValues { "\($0)" } } }
    }
}
