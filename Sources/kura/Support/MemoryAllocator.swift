import CJemalloc

/// The allocator behind `malloc` in this process.
///
/// `kura` links Debian's jemalloc, which then serves every allocation of the process, the Swift runtime's
/// included, in place of glibc's: under load glibc's `malloc` spent 13 % of the request threads' time in
/// `_int_malloc` refilling its per-thread caches, because buffers made on one thread are freed on another
/// (Docs/performance.md, "The allocator"). Whether the link took effect is checked, not assumed.
enum MemoryAllocator {
    /// "jemalloc 5.3.0" when jemalloc serves the Swift runtime's allocations, or what is known otherwise.
    static let description: String = {
        guard let version = jemallocVersion() else { return "not jemalloc (jemalloc is not linked)" }
        guard servesSwiftObjects() else { return "another allocator (jemalloc \(version) linked, not in use)" }
        return "jemalloc \(version)"
    }()

    private static func jemallocVersion() -> String? {
        var text: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &text, &size, nil, 0) == 0, let text else { return nil }
        return String(cString: text).split(separator: "-").first.map(String.init)
    }

    /// True when a Swift object's memory (`swift_allocObject`, which takes it from `malloc`, as every class
    /// instance, array and string buffer does) shows in jemalloc's count of the bytes this thread allocated.
    /// Were the allocation optimised away, this would answer false, never a false "jemalloc" (a local object
    /// was: the optimizer put it on the stack).
    private static func servesSwiftObjects() -> Bool {
        func allocatedByThisThread() -> UInt64? {
            var bytes: UInt64 = 0
            var size = MemoryLayout<UInt64>.size
            return mallctl("thread.allocated", &bytes, &size, nil, 0) == 0 ? bytes : nil
        }
        guard let before = allocatedByThisThread() else { return false }
        // Kept in a static for the moment, so the optimizer cannot put the object on the stack.
        probe = ManagedBuffer<Void, UInt8>.create(minimumCapacity: 1 << 16) { _ in () }
        defer { probe = nil }
        guard let after = allocatedByThisThread() else { return false }
        return after &- before >= 1 << 16
    }

    /// The object `servesSwiftObjects` allocates; set and cleared once, by the first reader of `description`.
    nonisolated(unsafe) private static var probe: AnyObject?
}
