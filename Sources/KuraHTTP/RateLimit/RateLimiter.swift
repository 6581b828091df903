import Dispatch
import Foundation
import Hummingbird
import KuraCore
import KuraProvider

/// Token buckets per client, in memory, in a table of fixed capacity ordered by last use.
///
/// Every operation is O(1) under one short lock: a lookup in a dictionary of slot numbers, and a move to
/// the front of a doubly linked list threaded through a preallocated array of slots. When the table is
/// full, the least recently used client's slot is reused for the newcomer: memory never grows past
/// ``capacity`` buckets and nothing is ever copied or filtered. An evicted client starts again with a full
/// bucket, which is why ``RateLimit/allAnonymous`` also bounds all clients together.
final class RateLimiter: @unchecked Sendable {
    /// The default number of clients remembered (about 100 bytes each).
    static let defaultCapacity = 65_536

    private struct Slot {
        var client: String
        var tokens: Double
        var at: UInt64
        var newer: Int32
        var older: Int32
    }

    let limit: RateLimit
    let capacity: Int
    private let lock = NSLock()
    private var slots: [Slot] = []
    private var index: [String: Int32] = [:]
    /// The most and least recently used slots, or -1.
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private let now: @Sendable () -> UInt64

    /// `now` is a monotonic clock in nanoseconds (injected so tests can move it).
    init(
        limit: RateLimit, capacity: Int = RateLimiter.defaultCapacity,
        now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) {
        self.limit = limit
        self.capacity = max(1, min(capacity, Int(Int32.max)))
        self.now = now
        slots.reserveCapacity(self.capacity)
        index.reserveCapacity(self.capacity)
    }

    /// How many clients are remembered.
    var count: Int { lock.withLock { index.count } }

    /// Takes `cost` tokens (a request's weight, at most the burst) for `client`: nil when admitted, else the
    /// seconds until they are there.
    func admit(_ client: String, cost requested: Double = 1) -> Double? {
        let cost = min(max(requested, 1), limit.burst)
        return lock.withLock { () -> Double? in
            let t = now()
            let slot = touch(client, at: t)
            var tokens = slots[slot].tokens
            let elapsed = Double(t &- slots[slot].at) / 1e9
            tokens = min(limit.burst, tokens + elapsed * limit.requestsPerSecond)
            slots[slot].at = t
            if tokens >= cost {
                slots[slot].tokens = tokens - cost
                return nil
            }
            slots[slot].tokens = tokens
            return (cost - tokens) / max(limit.requestsPerSecond, 1e-9)
        }
    }

    /// The slot of `client`, made the most recently used: its own, a fresh one while there is room, or the
    /// least recently used client's, reset.
    private func touch(_ client: String, at t: UInt64) -> Int {
        if let found = index[client] {
            moveToFront(found)
            return Int(found)
        }
        let fresh = Slot(client: client, tokens: limit.burst, at: t, newer: -1, older: -1)
        let slot: Int32
        if slots.count < capacity {
            slot = Int32(slots.count)
            slots.append(fresh)
        } else {
            slot = oldest
            unlink(slot)
            index.removeValue(forKey: slots[Int(slot)].client)
            slots[Int(slot)] = fresh
        }
        index[client] = slot
        linkAtFront(slot)
        return Int(slot)
    }

    private func moveToFront(_ slot: Int32) {
        guard slot != newest else { return }
        unlink(slot)
        linkAtFront(slot)
    }

    private func unlink(_ slot: Int32) {
        let newer = slots[Int(slot)].newer
        let older = slots[Int(slot)].older
        if newer >= 0 { slots[Int(newer)].older = older } else { newest = older }
        if older >= 0 { slots[Int(older)].newer = newer } else { oldest = newer }
        slots[Int(slot)].newer = -1
        slots[Int(slot)].older = -1
    }

    private func linkAtFront(_ slot: Int32) {
        slots[Int(slot)].older = newest
        slots[Int(slot)].newer = -1
        if newest >= 0 { slots[Int(newest)].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    /// The remembered clients from most to least recently used (for tests).
    var clientsByRecency: [String] {
        lock.withLock {
            var result: [String] = []
            var slot = newest
            while slot >= 0 {
                result.append(slots[Int(slot)].client)
                slot = slots[Int(slot)].older
            }
            return result
        }
    }

    /// The 429 answer: problem+json `rate_limited` with `Retry-After` in whole seconds.
    static func refusal(wait: Double) -> Response {
        let seconds = retryAfter(wait)
        var response = Problem.response(
            for: KuraError(.rateLimited, "too many requests from this address; retry in \(seconds) s"))
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// Whole seconds to wait, at least 1 (the `Retry-After` value).
    static func retryAfter(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return Int(Int32.max) }
        return max(1, Int(min(seconds, Double(Int32.max)).rounded(.up)))
    }
}
