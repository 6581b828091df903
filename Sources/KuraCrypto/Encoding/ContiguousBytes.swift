extension Collection<UInt8> {
    /// Runs `body` on the bytes in place when the collection stores them contiguously, on a copy otherwise: the
    /// byte-level readers (hashing, Base58, the JSON parser) work on a buffer, and most of their callers hand them
    /// an array or a string's UTF-8.
    @inlinable
    func withBytesInPlaceOrCopied<Answer>(_ body: (UnsafeBufferPointer<UInt8>) -> Answer) -> Answer {
        if let result = withContiguousStorageIfAvailable(body) { return result }
        return Array(self).withUnsafeBufferPointer(body)
    }
}
