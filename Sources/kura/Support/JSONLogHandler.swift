import Foundation
import KuraCrypto
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A swift-log handler that writes one JSON object per line (`kura serve --log-format json`):
/// `{"time":"2026-01-02T03:04:05.678Z","level":"info","logger":"kura.http","message":"request", …metadata}`.
///
/// Metadata members sit beside the fixed ones (a metadata key that collides with one is written as
/// `meta.<key>`), so `jq 'select(.status == "500")'` works on the stream. Keys are sorted (RFC 8785), one
/// write per line, so lines from several threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    private let sink: @Sendable ([UInt8]) -> Void

    /// Writes to standard error.
    init(label: String) {
        self.init(label: label) { line in FileHandle.standardError.write(Data(line)) }
    }

    init(label: String, sink: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let fixed: Set<String> = ["time", "level", "logger", "message"]

    func log(event: LogEvent) {
        var members: [String: JSONValue] = [:]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged {
            members[Self.fixed.contains(key) ? "meta." + key : key] = Self.json(value)
        }
        members["time"] = .string(Self.timestamp(Date()))
        members["level"] = .string(event.level.rawValue)
        members["logger"] = .string(label)
        members["message"] = .string("\(event.message)")
        // Strings and objects of strings only: always canonicalizes.
        let bytes = (try? JSONValue.object(members).canonicalBytes()) ?? Array("{}".utf8)
        sink(bytes + [0x0A])
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-01-02T03:04:05.678Z`.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}
