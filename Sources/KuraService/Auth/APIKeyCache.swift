import Foundation
import KuraCore

/// API-key authentications remembered for a moment, so that a request does not read the parties table (a
/// PostgreSQL round trip on that backend) when the same key authenticated an instant ago.
///
/// What a stale entry can and cannot do:
/// - A change made through this process (a status change, a rotated API key or signing key) empties the cache
///   before its answer is returned, so it is seen at once here.
/// - A change made by another process (the CLI, another node) is seen by reads here within the lifetime
///   (``ServiceConfiguration/apiKeyCacheMs``).
/// - A command never trusts it: the writer checks, against the log's state as of its batch, that the principal is
///   still active and the key still its own (``WriterState/requireCurrent(_:)``), so a revoked key writes nothing.
///
/// Only known keys are remembered: an unknown key reads the table every time.
final class APIKeyCache: @unchecked Sendable {
    private struct Entry {
        let party: Party
        let expires: UInt64
        let generation: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var generation: UInt64 = 0
    private let lock = NSLock()
    private let lifetimeNanoseconds: UInt64
    private let capacity: Int

    /// A cache whose entries live `lifetimeMs` milliseconds (0: nothing is remembered).
    init(lifetimeMs: Int64, capacity: Int = 16_384) {
        // At most a day: a lifetime is a moment, and the product must not overflow.
        lifetimeNanoseconds = UInt64(min(max(0, lifetimeMs), 86_400_000)) * 1_000_000
        self.capacity = capacity
    }

    var isEnabled: Bool { lifetimeNanoseconds > 0 }

    /// The party `hash` authenticated as, if remembered and still fresh.
    func party(forKeyHash hash: String) -> Party? {
        guard isEnabled else { return nil }
        let now = Self.now()
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[hash], entry.generation == generation, now < entry.expires else { return nil }
        return entry.party
    }

    /// The generation to pass to ``remember(_:party:since:)``: taken before the read whose result is remembered,
    /// so that a change committed while the read ran (``forgetAll()`` in between) keeps it out.
    func currentGeneration() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return generation
    }

    /// Remembers that `hash` is `party`'s key, as read after ``currentGeneration()`` gave `since`.
    func remember(_ hash: String, party: Party, since: UInt64) {
        guard isEnabled else { return }
        let expires = Self.now() &+ lifetimeNanoseconds
        lock.lock()
        defer { lock.unlock() }
        guard since == generation else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[hash] = Entry(party: party, expires: expires, generation: since)
    }

    /// Forgets everything: a party changed through this process.
    func forgetAll() {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        entries.removeAll(keepingCapacity: true)
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
