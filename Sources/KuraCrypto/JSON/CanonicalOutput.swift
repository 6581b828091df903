/// Where canonical JSON's bytes go: an array, or the ``PointerBytes`` of ``CanonicalObjectWriter``. The writers of
/// values, strings and numbers are generic over it, so that one implementation writes both.
protocol CanonicalOutput {
    /// Appends one byte.
    mutating func append(_ byte: UInt8)
    /// Appends bytes.
    mutating func append(bytes: UnsafeRawBufferPointer)
}

extension CanonicalOutput {
    /// Appends the bytes of a literal.
    @inline(__always) mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension Array: CanonicalOutput where Element == UInt8 {
    mutating func append(bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

/// Bytes written through a pointer into one growing allocation: an append is a capacity check and a copy.
///
/// An object's canonical JSON is written a few bytes at a time (a comma, a quote, a key, a value): through an
/// array's `append(contentsOf:)`, each paid the array's uniqueness and capacity checks, its count update and a
/// generic copy, which were most of what writing a receipt's leaf cost (issue 15, `kura bench canonical`).
///
/// A value type whose storage a copy shares until ``claim()``: the writer claims it at the start of each member
/// (a copy of the writer can only be made between two of its calls), so that an append checks only the capacity.
struct PointerBytes: CanonicalOutput {
    private final class Storage {
        let base: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }

        deinit { base.deallocate() }
    }

    private var storage: Storage
    private(set) var count = 0

    /// Empty, with room for `capacity` bytes before it grows.
    init(capacity: Int) { storage = Storage(capacity: max(16, capacity)) }

    /// Makes the storage this value's own, if a copy shares it: call before appending after a copy could have
    /// been made.
    mutating func claim() {
        if !isKnownUniquelyReferenced(&storage) { grow(0) }
    }

    /// Where the next `more` bytes go, with room for them.
    @inline(__always) private mutating func reserve(_ more: Int) -> UnsafeMutableRawPointer {
        if _slowPath(count + more > storage.capacity) { grow(more) }
        return storage.base + count
    }

    /// Moves the bytes to fresh storage with room for `more` more.
    @inline(never) private mutating func grow(_ more: Int) {
        let fresh = Storage(capacity: max(storage.capacity * 2, count + more))
        fresh.base.copyMemory(from: storage.base, byteCount: count)
        storage = fresh
    }

    mutating func append(_ byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
        count += 1
    }

    mutating func append(bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// The bytes written, as an array.
    var array: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let target = buffer.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: storage.base, byteCount: count)
            }
            initialized = count
        }
    }
}
