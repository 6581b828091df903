/// Roots and proofs (RFC 6962 section 2.1, RFC 9162 section 2.1) read from stored complete subtrees.
///
/// Every value is assembled from complete-subtree hashes only. A range of leaves `[a, b)` whose
/// length is not a power of two is hashed from its perfect pieces, one per set bit of `b − a`, so a
/// root costs at most ⌈log2 n⌉ reads and a proof at most about 2·⌈log2 n⌉, never a scan of the leaves.
///
/// ```swift
/// let tree = MerkleTree(nodes: store)
/// let proof = try tree.inclusionProof(index: 41, size: 1000)
/// ```
public struct MerkleTree<Nodes: MerkleNodeSource> {
    /// Where complete-subtree hashes are read from.
    public let nodes: Nodes

    /// A view of the tree stored in `nodes`.
    public init(nodes: Nodes) {
        self.nodes = nodes
    }

    /// The root hash of the first `size` leaves (``MerkleHash/emptyRoot`` for 0).
    public func root(size: UInt64) throws -> [UInt8] {
        if size == 0 { return MerkleHash.emptyRoot }
        return try subtreeHash(from: 0, to: size)
    }

    /// The RFC 6962 hash of leaves `[start, end)`, read from at most ⌈log2(end − start)⌉ stored nodes.
    ///
    /// The range must be one the RFC 6962 recursion can produce: non-empty, with `start` a multiple
    /// of the largest power of two not above `end − start`. Every subtree that appears in a root or
    /// proof of a tree starting at leaf 0 has that shape.
    public func subtreeHash(from start: UInt64, to end: UInt64) throws -> [UInt8] {
        guard start < end else { throw MerkleError("the range [\(start), \(end)) is empty") }
        let widest = MerkleRanges.pieces(start, end)[0]
        guard widest.firstLeaf == start else {
            throw MerkleError("the range [\(start), \(end)) is not aligned to a subtree")
        }
        return try hashRanges([(start, end)])[0]
    }

    /// The audit path of leaf `index` in the tree of `size` leaves, leaf side first (RFC 6962 PATH).
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [[UInt8]] {
        guard index < size else { throw MerkleError("leaf \(index) is not in a tree of \(size) leaves") }
        return try hashRanges(MerkleRanges.inclusion(index: index, size: size))
    }

    /// The proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves
    /// (RFC 6962 PROOF / SUBPROOF), in RFC order. Empty when `oldSize` is 0 or equals `newSize`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [[UInt8]] {
        guard oldSize <= newSize else {
            throw MerkleError("a tree of \(oldSize) leaves cannot be a prefix of one of \(newSize)")
        }
        return try hashRanges(MerkleRanges.consistency(from: oldSize, to: newSize))
    }

    /// Hashes each range, fetching all the pieces in one ``MerkleNodeSource/hashes(_:)`` call.
    private func hashRanges(_ ranges: [(UInt64, UInt64)]) throws -> [[UInt8]] {
        let pieces = ranges.map { MerkleRanges.pieces($0.0, $0.1) }
        let fetched = try nodes.hashes(pieces.flatMap { $0 })
        guard fetched.count == pieces.reduce(0, { $0 + $1.count }) else {
            throw MerkleError("the node source answered \(fetched.count) hashes for a different number of nodes")
        }
        var out: [[UInt8]] = []
        out.reserveCapacity(ranges.count)
        var next = 0
        for group in pieces {
            out.append(MerkleRanges.fold(fetched[next..<next + group.count]))
            next += group.count
        }
        return out
    }
}

extension MerkleTree: Sendable where Nodes: Sendable {}

/// Index arithmetic shared by the prover and the appender: which ranges a proof needs and which
/// complete subtrees make up a range.
enum MerkleRanges {
    /// Combines the perfect pieces of a range, largest (leftmost) first, from the right.
    static func fold(_ hashes: some BidirectionalCollection<[UInt8]>) -> [UInt8] {
        var result = hashes.last!
        for hash in hashes.dropLast().reversed() {
            result = MerkleHash.node(hash, result)
        }
        return result
    }

    /// The largest power of two strictly below `n` (n ≥ 2): RFC 6962's split point `k`.
    static func split(_ n: UInt64) -> UInt64 {
        1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }

    /// The complete subtrees that make up `[start, end)`, largest first: one per set bit of the length.
    static func pieces(_ start: UInt64, _ end: UInt64) -> [MerkleNodeID] {
        var out: [MerkleNodeID] = []
        out.reserveCapacity((end - start).nonzeroBitCount)
        var at = start
        var remaining = end - start
        while remaining > 0 {
            let level = 63 - remaining.leadingZeroBitCount
            let width: UInt64 = 1 << UInt64(level)
            out.append(MerkleNodeID(level: level, index: at >> UInt64(level)))
            at += width
            remaining -= width
        }
        return out
    }

    /// The leaf ranges whose hashes form the inclusion proof of `index` in `size`, leaf side first.
    static func inclusion(index: UInt64, size: UInt64) -> [(UInt64, UInt64)] {
        var ranges: [(UInt64, UInt64)] = []
        var lo: UInt64 = 0
        var hi = size
        while hi - lo > 1 {
            let k = split(hi - lo)
            if index < lo + k {
                ranges.append((lo + k, hi))
                hi = lo + k
            } else {
                ranges.append((lo, lo + k))
                lo += k
            }
        }
        return ranges.reversed()
    }

    /// The leaf ranges whose hashes form the consistency proof from `oldSize` to `newSize`, in RFC order.
    static func consistency(from oldSize: UInt64, to newSize: UInt64) -> [(UInt64, UInt64)] {
        guard oldSize > 0, oldSize < newSize else { return [] }
        var ranges: [(UInt64, UInt64)] = []
        var lo: UInt64 = 0
        var hi = newSize
        var isWholeOldTree = true  // SUBPROOF's b: the old tree's root need not be sent
        while oldSize != hi {
            let k = split(hi - lo)
            if oldSize <= lo + k {
                ranges.append((lo + k, hi))
                hi = lo + k
            } else {
                ranges.append((lo, lo + k))
                lo += k
                isWholeOldTree = false
            }
        }
        if !isWholeOldTree { ranges.append((lo, hi)) }
        return ranges.reversed()
    }
}
