import CJemalloc

/// The allocator behind `malloc` in this process.
///
/// `kura` links Debian's jemalloc, which then serves every allocation of the process, the Swift runtime's
/// included, in place of glibc's: under load glibc's `malloc` spent 13 % of the request threads' time in
/// `_int_malloc` refilling its per-thread caches, because buffers made on one thread are freed on another
/// (Docs/performance.md, "The allocator"). Whether the link took effect is checked, not assumed.
enum MemoryAllocator {
    /// "jemalloc 5.3.0" when jemalloc serves the Swift runtime's allocations, or what serves them instead.
    static let description: String = {
        guard let version = jemallocVersion() else { return "glibc malloc (jemalloc is not linked)" }
        return servesSwiftRuntime() ? "jemalloc \(version)" : "glibc malloc (jemalloc \(version) linked, not in use)"
    }()

    private static func jemallocVersion() -> String? {
        var text: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &text, &size, nil, 0) == 0, let text else { return nil }
        return String(cString: text).split(separator: "-").first.map(String.init)
    }

    /// True when an allocation made by the Swift runtime (`swift_slowAlloc`, through `malloc` in another
    /// library, which the optimizer cannot remove) shows in jemalloc's count of this thread's bytes.
    private static func servesSwiftRuntime() -> Bool {
        func allocatedByThisThread() -> UInt64? {
            var bytes: UInt64 = 0
            var size = MemoryLayout<UInt64>.size
            return mallctl("thread.allocated", &bytes, &size, nil, 0) == 0 ? bytes : nil
        }
        guard let before = allocatedByThisThread() else { return false }
        let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { block.deallocate() }
        guard let after = allocatedByThisThread() else { return false }
        return after &- before >= 1 << 16
    }
}
