import Dispatch

/// A map the writer decides on: read-through on a miss, an undo journal for the current command, and a
/// bounded size that levels off (two generations: entries not used since the last rotation go first).
///
/// An entry is a value or a known absence (`nil`): "no such escrow" is remembered as well as an escrow.
/// Only changes (``set(_:_:)``) are journaled; loading what the database holds is not, because undoing a
/// command never changes the database. Used by the writer thread only.
public final class WriterCache<Key: Hashable & Sendable, Value: Sendable> {
    @usableFromInline var young: [Key: Value?] = [:]
    @usableFromInline var old: [Key: Value?] = [:]
    /// Each change of the current command: the key and what it held before (nil: not cached).
    @usableFromInline var journal: [(Key, Value??)] = []
    /// Whether the journal holds anything: a plain flag, so that the many caches a command did not touch
    /// cost a branch at commit, not a generic call (measured: 6 % of the writer's time went to metadata
    /// lookups of the journal's type when every cache was committed through the protocol, issue 15).
    @usableFromInline var journaled = false
    /// Called when a command's first change starts the journal, so that the owner of many caches commits
    /// and undoes only the ones a command changed (``WriterCache/set(_:_:)`` then ``commit()`` or ``undo()``).
    public var onFirstChange: (() -> Void)?
    /// The most entries kept after ``trim()``.
    public let capacity: Int

    /// An empty cache holding at most about `capacity` entries between batches.
    @inlinable public init(capacity: Int) { self.capacity = max(2, capacity) }

    /// The cached entry: nil when unknown, `.some(nil)` when known to be absent.
    @inlinable public func cached(_ key: Key) -> Value?? {
        if let entry = young[key] { return entry }
        if let entry = promoted(key) {
            young[key] = entry
            return entry
        }
        return nil
    }

    /// Takes `key`'s entry out of the old generation, if it is there. Each lookup hashes the key (a string ID's
    /// every byte): the old generation is asked only when it holds anything, and once, not once to read and
    /// once to remove (issue 15: the writer's map lookups were a tenth of its time under the escrow load).
    @inlinable func promoted(_ key: Key) -> Value?? {
        old.isEmpty ? nil : old.removeValue(forKey: key)
    }

    /// The value, loading it with `load` (and remembering the answer, absence included) on a miss.
    @inlinable public func value<E: Error>(_ key: Key, load: () throws(E) -> Value?) throws(E) -> Value? {
        if let entry = cached(key) { return entry }
        let loaded = try load()
        young[key] = .some(loaded)
        return loaded
    }

    /// Records a change (nil: the row no longer exists), journaled for ``undo()``.
    @inlinable public func set(_ key: Key, _ value: Value?) {
        // One lookup in the recent generation does both: it stores the change and returns what was there.
        var before = young.updateValue(value, forKey: key)
        if before == nil { before = promoted(key) }
        journal.append((key, before))
        if !journaled {
            journaled = true
            onFirstChange?()
        }
    }

    /// Brings a cached entry up to date with a change another writer made and wrote (catch-up). Not
    /// journaled: the database holds the change already. An entry not cached stays unknown.
    @inlinable public func refresh(_ key: Key, _ update: (inout Value?) -> Void) {
        guard var entry = cached(key) else { return }
        update(&entry)
        young[key] = .some(entry)
    }

    /// Forgets one entry (another writer changed its row). Not journaled.
    @inlinable public func invalidate(_ key: Key) {
        young[key] = nil
        old[key] = nil
    }

    /// Forgets every entry for which `isStale` holds. Not journaled.
    @inlinable public func invalidate(where isStale: (Key, Value?) -> Bool) {
        young = young.filter { !isStale($0.key, $0.value) }
        old = old.filter { !isStale($0.key, $0.value) }
    }

    /// Forgets everything, journal included.
    @inlinable public func removeAll() {
        young.removeAll()
        old.removeAll()
        journal.removeAll()
        journaled = false
    }

    /// Starts a new command's journal (the previous command's changes are kept).
    @inlinable public func commit() {
        guard journaled else { return }
        journal.removeAll(keepingCapacity: true)
        journaled = false
    }

    /// Undoes every change since the last ``commit()``, newest first.
    @inlinable public func undo() {
        guard journaled else { return }
        for (key, before) in journal.reversed() {
            if let before {
                young[key] = .some(before)
            } else {
                young[key] = nil
            }
            old[key] = nil
        }
        journal.removeAll(keepingCapacity: true)
        journaled = false
    }

    /// Between batches, once every change is written: if the recent generation is full, it becomes the old
    /// one and the old one is dropped, so at most about ``capacity`` entries stay.
    ///
    /// The new generation starts with room for as many entries as the last (at most half the capacity: a
    /// batch that loaded far more, a reputation rebuild, leaves no such room behind), and the dropped one is
    /// freed on another thread: growing a map of tens of thousands of entries from empty rehashes it at every
    /// doubling, and freeing one releases every entry, each a stall of 5–30 ms of the writer between two
    /// batches under the escrow load (perf, off-CPU samples of the writer thread; Docs/performance.md).
    @inlinable public func trim() {
        if young.count >= capacity / 2 {
            let dropped = CacheGeneration.Dropped(old)
            old = young
            young = Dictionary(minimumCapacity: min(old.count, capacity / 2))
            CacheGeneration.release(dropped)
        }
    }

    /// Cached entries (both generations).
    @inlinable public var count: Int { young.count + old.count }

    /// Every cached entry, for the assertion mode.
    public var entries: [(Key, Value?)] {
        Array(young.map { ($0.key, $0.value) }) + old.map { ($0.key, $0.value) }
    }
}

/// Where the writer's caches free their dropped generations: one utility thread, off the writer's.
public enum CacheGeneration {
    /// A generation no one else refers to, handed over to be freed.
    public final class Dropped: @unchecked Sendable {
        @usableFromInline var entries: (any Sendable)?

        /// Takes `entries`, which the caller no longer refers to (values freed on another thread: `Sendable`).
        @inlinable public init(_ entries: some Sendable) { self.entries = entries }
    }

    static let queue = DispatchQueue(label: "kura-cache-release", qos: .utility)

    /// Frees `dropped` on the release thread.
    public static func release(_ dropped: Dropped) {
        queue.async { dropped.entries = nil }
    }
}
