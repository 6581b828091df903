import KuraCore
import Synchronization

/// A clock a test sets and advances by hand. Thread-safe: the service may read it from any thread.
public final class TestClock: Sendable {
    /// 2025-01-01T00:00:00Z, the default start, so logs made by tests do not depend on the day they ran.
    public static let defaultStart = Timestamp(milliseconds: 1_735_689_600_000)

    private let current: Mutex<Timestamp>

    /// A clock standing at `start`.
    public init(_ start: Timestamp = TestClock.defaultStart) {
        current = Mutex(start)
    }

    /// The time it shows.
    public var now: Timestamp { current.withLock { $0 } }

    /// Moves the clock `ms` milliseconds on (back, if negative) and returns the new time.
    @discardableResult
    public func advance(by ms: Int64) -> Timestamp {
        current.withLock { time in
            time = time.adding(milliseconds: ms)
            return time
        }
    }

    /// Puts the clock at `time`.
    public func set(_ time: Timestamp) {
        current.withLock { $0 = time }
    }

    /// The clock to inject into a service.
    public var clock: KuraClock {
        KuraClock { [self] in self.now }
    }
}
