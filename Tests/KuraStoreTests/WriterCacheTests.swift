import Dispatch
import Foundation
import Synchronization
import Testing

@testable import KuraStore

/// The writer's two-generation caches: what a rotation keeps, what it drops, and that the dropped entries are
/// freed on the release thread, not the writer's.
@Suite("writer caches")
struct WriterCacheTests {
    /// A value that counts its deinits and notes the threads they ran on.
    final class Tracked: Sendable {
        static let freed = Mutex<[pthread_t]>([])
        deinit {
            let thread = pthread_self()
            Self.freed.withLock { $0.append(thread) }
        }
    }

    @Test("a rotation keeps the recent generation, drops the one before it, and frees it off the writer")
    func rotation() {
        let cache = WriterCache<Int, Tracked>(capacity: 8)
        Tracked.freed.withLock { $0.removeAll() }
        for key in 0..<4 { cache.set(key, Tracked()) }
        cache.commit()
        cache.trim()  // 4 of 8: the recent generation becomes the old one
        #expect(cache.count == 4)
        for key in 4..<8 { cache.set(key, Tracked()) }
        cache.commit()
        #expect(cache.cached(0) != nil)  // used again: back in the recent generation
        cache.trim()  // keys 1…3 were not used since the last rotation
        CacheGeneration.queue.sync {}
        #expect(cache.count == 5)
        for key in [0, 4, 5, 6, 7] { #expect(cache.cached(key) != nil, "key \(key)") }
        for key in 1..<4 { #expect(cache.cached(key) == nil, "key \(key)") }
        let freed = Tracked.freed.withLock { $0 }
        #expect(freed.count == 3)
        let writer = pthread_self()
        #expect(freed.allSatisfy { pthread_equal($0, writer) == 0 })
    }

    @Test("the first change of a command is announced once, and again after a commit or an undo")
    func firstChangeNotice() {
        let cache = WriterCache<Int, Int>(capacity: 8)
        var notices = 0
        cache.onFirstChange = { notices += 1 }
        _ = cache.value(1) { 10 }  // loading is not a change
        #expect(notices == 0)
        cache.set(1, 11)
        cache.set(2, 20)
        #expect(notices == 1)
        cache.undo()
        #expect(cache.cached(1) == .some(10) && cache.cached(2) == nil)
        cache.set(1, 12)
        #expect(notices == 2)
        cache.commit()
        cache.commit()  // nothing journaled: no notice owed
        cache.set(3, 30)
        #expect(notices == 3)
        cache.undo()
        #expect(cache.cached(1) == .some(12) && cache.cached(3) == nil)
    }

    @Test("a change to an entry of either generation, or to a known absence, is undone to what was there")
    func undoAcrossGenerations() {
        let cache = WriterCache<Int, Int>(capacity: 4)
        cache.set(1, 10)
        cache.set(2, nil)  // known to be absent
        cache.commit()
        cache.trim()  // 1 and 2 move to the old generation
        _ = cache.value(3) { 30 }
        cache.set(1, 11)  // from the old generation
        cache.set(2, 20)  // over a known absence
        cache.set(3, 31)  // from the recent generation
        cache.set(4, 40)  // not cached at all
        cache.set(1, 12)  // twice in one command
        #expect(cache.cached(1) == .some(12) && cache.cached(2) == .some(20) && cache.cached(4) == .some(40))
        cache.undo()
        #expect(cache.cached(1) == .some(10))
        #expect(cache.cached(2) == .some(nil))
        #expect(cache.cached(3) == .some(30))
        #expect(cache.cached(4) == nil)
        #expect(cache.count == 3)
    }
}
