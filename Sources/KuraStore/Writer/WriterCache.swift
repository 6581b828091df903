/// A map the writer decides on: read-through on a miss, an undo journal for the current command, and a
/// bounded size that levels off (two generations: entries not used since the last rotation go first).
///
/// An entry is a value or a known absence (`nil`): "no such escrow" is remembered as well as an escrow.
/// Only changes (``set(_:_:)``) are journaled; loading what the database holds is not, because undoing a
/// command never changes the database. Used by the writer thread only.
public final class WriterCache<Key: Hashable, Value> {
    private var young: [Key: Value?] = [:]
    private var old: [Key: Value?] = [:]
    /// Each change of the current command: the key and what it held before (nil: not cached).
    private var journal: [(Key, Value??)] = []
    /// The most entries kept after ``trim()``.
    public let capacity: Int

    /// An empty cache holding at most about `capacity` entries between batches.
    public init(capacity: Int) { self.capacity = max(2, capacity) }

    /// The cached entry: nil when unknown, `.some(nil)` when known to be absent.
    public func cached(_ key: Key) -> Value?? {
        if let entry = young[key] { return entry }
        if let entry = old[key] {
            young[key] = entry
            old[key] = nil
            return entry
        }
        return nil
    }

    /// The value, loading it with `load` (and remembering the answer, absence included) on a miss.
    public func value<E: Error>(_ key: Key, load: () throws(E) -> Value?) throws(E) -> Value? {
        if let entry = cached(key) { return entry }
        let loaded = try load()
        young[key] = .some(loaded)
        return loaded
    }

    /// Records a change (nil: the row no longer exists), journaled for ``undo()``.
    public func set(_ key: Key, _ value: Value?) {
        journal.append((key, cached(key)))
        young[key] = .some(value)
    }

    /// Forgets one entry (another writer changed its row). Not journaled.
    public func invalidate(_ key: Key) {
        young[key] = nil
        old[key] = nil
    }

    /// Forgets every entry for which `isStale` holds. Not journaled.
    public func invalidate(where isStale: (Key, Value?) -> Bool) {
        young = young.filter { !isStale($0.key, $0.value) }
        old = old.filter { !isStale($0.key, $0.value) }
    }

    /// Forgets everything, journal included.
    public func removeAll() {
        young.removeAll()
        old.removeAll()
        journal.removeAll()
    }

    /// Starts a new command's journal (the previous command's changes are kept).
    public func commit() { journal.removeAll(keepingCapacity: true) }

    /// Undoes every change since the last ``commit()``, newest first.
    public func undo() {
        for (key, before) in journal.reversed() {
            if let before {
                young[key] = .some(before)
            } else {
                young[key] = nil
            }
            old[key] = nil
        }
        journal.removeAll(keepingCapacity: true)
    }

    /// Between batches, once every change is written: if the recent generation is full, it becomes the old
    /// one and the old one is dropped, so at most about ``capacity`` entries stay.
    public func trim() {
        if young.count >= capacity / 2 {
            old = young
            young = [:]
        }
    }

    /// Cached entries (both generations).
    public var count: Int { young.count + old.count }

    /// Every cached entry, for the assertion mode.
    public var entries: [(Key, Value?)] {
        Array(young.map { ($0.key, $0.value) }) + old.map { ($0.key, $0.value) }
    }
}
