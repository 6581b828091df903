/// What to do with one write to a WAL file, given the writes held back so far.
///
/// SQLite appends a commit to its WAL as frames, and writes each frame with two calls: its 24-byte header, then
/// its page. A batch of escrow opens writes about 90 frames, so the writer made about 180 `pwrite` calls per
/// commit, and each page straddles two of the kernel's pages: the kernel's per-call and per-page work (ext4's
/// `write_begin`/`write_end`, the system call itself) was about a tenth of the writer thread
/// (Docs/performance.md). Writes that continue the held ones are held, in memory, and given to the kernel in
/// calls of up to 64 KiB when anything else happens to the file: a sync (every commit on a `synchronous=FULL`
/// connection), a read of held bytes, a size query, a truncation, a write elsewhere. Nothing is reordered: held
/// bytes go out before the next operation that could see them. What a rolled-back transaction left held is
/// forgotten (``transactionEnded()``), and after a failed write out nothing more of the transaction
/// reaches the file (``writeFailed()``).
///
/// A value type whose methods say what to do, so that the rule is testable without SQLite
/// (``SQLiteWALVFS`` performs the actions).
struct WALWriteCoalescer: Equatable, Sendable {
    /// The most bytes held at once.
    let capacity: Int
    /// Where the held bytes go in the file.
    private(set) var start: Int64 = 0
    /// How many bytes are held.
    private(set) var count = 0

    /// Holds up to `capacity` bytes.
    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Bytes held back: where they go in the file, and how many (from the buffer's start).
    struct Held: Equatable, Sendable {
        var offset: Int64
        var count: Int
    }

    /// What a write becomes: first write out `flush` (if any), then copy the bytes into the buffer at `hold`,
    /// or write them through when `hold` is nil (they would not fit).
    struct WriteAction: Equatable, Sendable {
        var flush: Held?
        var hold: Int?
    }

    /// A write of `length` bytes at `offset`; the state is what it is once the action is done.
    mutating func write(offset: Int64, length: Int) -> WriteAction {
        if count > 0, offset == start + Int64(count), count + length <= capacity {
            defer { count += length }
            return WriteAction(flush: nil, hold: count)
        }
        let held = flush()
        guard length < capacity else { return WriteAction(flush: held, hold: nil) }
        start = offset
        count = length
        return WriteAction(flush: held, hold: 0)
    }

    /// A read of `length` bytes at `offset`: the held bytes to write first when it would read any of them (the
    /// file holds everything else as it should be, since a write elsewhere writes out what is held first).
    mutating func read(offset: Int64, length: Int) -> Held? {
        guard count > 0, offset < start + Int64(count), offset + Int64(length) > start else { return nil }
        return flush()
    }

    /// The held bytes to write before any other operation (nil: none), and nothing held afterwards.
    mutating func flush() -> Held? {
        guard count > 0 else { return nil }
        defer { count = 0 }
        return Held(offset: start, count: count)
    }

    /// Writing held bytes out failed: they are lost, so nothing more of this transaction may reach the file
    /// (``failed``) until it ends. SQLite may keep the transaction open after an error in one statement; a
    /// commit would then write frames after the lost ones and publish them all.
    mutating func writeFailed() {
        count = 0
        failed = true
    }

    /// A write out failed in the current transaction: every write and sync is refused until it ends.
    private(set) var failed = false

    /// The transaction ended without a commit (rolled back, or the connection closed): what is held was never
    /// committed, since a commit syncs, which writes it out. It is forgotten; written out later it could land
    /// on frames another connection committed since.
    mutating func transactionEnded() {
        count = 0
        failed = false
    }
}
