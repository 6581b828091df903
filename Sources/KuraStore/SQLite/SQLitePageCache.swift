import CSQLite
import Synchronization

/// What a page cache must do when SQLite asks it to drop every page from a number up, given what it has held.
///
/// SQLite ends every write transaction by truncating its page cache to the database's size. Its built-in cache
/// (pcache1) only remembers the highest page number it has ever held, and when that lies more than a hash table
/// away from the limit it walks every bucket of the table. B-tree rebalancing (`balance_nonroot` in btree.c)
/// swaps two pages' numbers through the lock-byte page's number (`PENDING_BYTE / pageSize + 1`, page 262,145
/// with 4 KiB pages), so in any database under 1 GiB almost every commit walked the writer's whole cache:
/// 16,384 buckets and the page headers behind them for a 64 MiB cache, 5.7 % of the writer thread's samples
/// in `kura bench receipts` (Docs/performance.md). This value keeps the highest page number actually held,
/// counts the pages parked on the swap number on their own, and says when the truncation has nothing to drop.
///
/// A value type whose methods say what to do, so that the rule is testable without SQLite. Every estimate errs
/// high: a page dropped some other way leaves ``highestKey`` where it was, and the truncation then goes through.
struct PageCacheTruncation: Equatable, Sendable {
    /// The page number SQLite parks a page on while it swaps two pages' numbers.
    let swapKey: UInt32
    /// No page held by the cache has a number above this one, except pages parked on ``swapKey``.
    private(set) var highestKey: UInt32 = 0
    /// How many pages were moved onto ``swapKey`` and not moved off it or truncated since.
    private(set) var parked = 0

    /// For a cache of pages of `pageSize` bytes; SQLite's lock byte sits at 1 GiB (`PENDING_BYTE`).
    init(pageSize: Int) {
        swapKey = UInt32(0x4000_0000 / max(pageSize, 1) + 1)
    }

    /// The cache returned a page for `key` (found or created).
    mutating func fetched(_ key: UInt32) {
        highestKey = max(highestKey, key)
    }

    /// A page's number changed from `old` to `new`.
    mutating func rekeyed(from old: UInt32, to new: UInt32) {
        if old == swapKey, parked > 0 { parked -= 1 }
        if new == swapKey {
            parked += 1
        } else {
            highestKey = max(highestKey, new)
        }
    }

    /// Whether a truncation to `limit` (drop every page numbered `limit` or more) must reach the cache; when it
    /// does, what it leaves is recorded.
    mutating func truncate(_ limit: UInt32) -> Bool {
        let parkedAbove = parked > 0 && swapKey >= limit
        guard highestKey >= limit || parkedAbove else { return false }
        highestKey = min(highestKey, limit &- 1)
        if swapKey >= limit { parked = 0 }
        return true
    }
}

/// SQLite's own page cache, with truncations that have nothing to drop answered without it
/// (``PageCacheTruncation``). Installed once per process, before the first connection opens.
enum SQLitePageCache {
    /// Truncations answered without the built-in cache since the process started (every connection's).
    static let skippedTruncations = Atomic<Int>(0)
    /// Truncations passed to the built-in cache since the process started (every connection's).
    static let passedTruncations = Atomic<Int>(0)

    /// Whether the tracking cache is SQLite's page cache in this process (false if SQLite was initialised
    /// before the first ``SQLiteConnection``, which nothing in Kura does).
    static let isInstalled: Bool = {
        guard var methods = tracking else { return false }
        return kura_sqlite3_set_pcache2(&methods) == SQLITE_OK
    }()

    /// The built-in methods, read once (before SQLite can call any of ours); a constant, so
    /// that the callbacks (every page fetch) read it without an exclusivity check.
    nonisolated(unsafe) private static let builtIn: sqlite3_pcache_methods2 = {
        var methods = sqlite3_pcache_methods2()
        if kura_sqlite3_get_pcache2(&methods) != SQLITE_OK { methods = sqlite3_pcache_methods2() }
        return methods
    }()

    /// One cache of the built-in implementation and what it holds.
    private struct Tracked {
        let inner: OpaquePointer
        var truncation: PageCacheTruncation
    }

    /// The tracking methods around the built-in ones (nil if SQLite would not give those); tests drive them.
    nonisolated(unsafe) static let tracking: sqlite3_pcache_methods2? = makeTracking()

    private static func makeTracking() -> sqlite3_pcache_methods2? {
        guard builtIn.xCreate != nil else { return nil }
        var methods = sqlite3_pcache_methods2()
        methods.iVersion = 1
        methods.pArg = builtIn.pArg
        methods.xInit = { argument in SQLitePageCache.builtIn.xInit?(argument) ?? SQLITE_OK }
        methods.xShutdown = { argument in SQLitePageCache.builtIn.xShutdown?(argument) }
        methods.xCreate = { pageSize, extra, purgeable in
            guard let inner = SQLitePageCache.builtIn.xCreate!(pageSize, extra, purgeable) else { return nil }
            let cache = UnsafeMutablePointer<Tracked>.allocate(capacity: 1)
            cache.initialize(to: Tracked(inner: inner, truncation: PageCacheTruncation(pageSize: Int(pageSize))))
            return OpaquePointer(cache)
        }
        methods.xCachesize = { cache, size in
            SQLitePageCache.builtIn.xCachesize!(SQLitePageCache.tracked(cache).pointee.inner, size)
        }
        methods.xPagecount = { cache in
            SQLitePageCache.builtIn.xPagecount!(SQLitePageCache.tracked(cache).pointee.inner)
        }
        methods.xFetch = { cache, key, create in
            let state = SQLitePageCache.tracked(cache)
            let page = SQLitePageCache.builtIn.xFetch!(state.pointee.inner, key, create)
            if page != nil { state.pointee.truncation.fetched(key) }
            return page
        }
        methods.xUnpin = { cache, page, discard in
            SQLitePageCache.builtIn.xUnpin!(SQLitePageCache.tracked(cache).pointee.inner, page, discard)
        }
        methods.xRekey = { cache, page, old, new in
            let state = SQLitePageCache.tracked(cache)
            SQLitePageCache.builtIn.xRekey!(state.pointee.inner, page, old, new)
            state.pointee.truncation.rekeyed(from: old, to: new)
        }
        methods.xTruncate = { cache, limit in
            let state = SQLitePageCache.tracked(cache)
            if state.pointee.truncation.truncate(limit) {
                SQLitePageCache.passedTruncations.add(1, ordering: .relaxed)
                SQLitePageCache.builtIn.xTruncate!(state.pointee.inner, limit)
            } else {
                SQLitePageCache.skippedTruncations.add(1, ordering: .relaxed)
            }
        }
        methods.xDestroy = { cache in
            let state = SQLitePageCache.tracked(cache)
            SQLitePageCache.builtIn.xDestroy!(state.pointee.inner)
            state.deinitialize(count: 1)
            state.deallocate()
        }
        methods.xShrink = { cache in SQLitePageCache.builtIn.xShrink?(SQLitePageCache.tracked(cache).pointee.inner) }
        return methods
    }

    private static func tracked(_ cache: OpaquePointer?) -> UnsafeMutablePointer<Tracked> {
        UnsafeMutablePointer<Tracked>(cache!)
    }
}
