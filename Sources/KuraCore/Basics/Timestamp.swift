/// A point in time as epoch milliseconds. The core never reads a clock; time comes in as this value.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    /// Wraps epoch milliseconds.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The time `ms` milliseconds later, saturating instead of overflowing.
    public func adding(milliseconds ms: Int64) -> Timestamp {
        let (sum, overflow) = milliseconds.addingReportingOverflow(ms)
        return Timestamp(milliseconds: overflow ? (ms > 0 ? .max : .min) : sum)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }
    public var description: String { String(milliseconds) }

    public init(from decoder: any Decoder) throws {
        milliseconds = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }
}

/// Where the current time comes from. Adapters inject `.system`; tests inject a fixed or stepped clock.
public struct KuraClock: Sendable {
    /// Returns the current time.
    public var now: @Sendable () -> Timestamp

    /// Wraps a time source.
    public init(now: @escaping @Sendable () -> Timestamp) { self.now = now }

    /// Always answers `time`.
    public static func fixed(_ time: Timestamp) -> KuraClock { KuraClock { time } }
}
