/// Checks RFC 6962 inclusion and consistency proofs with the algorithms of RFC 9162 sections
/// 2.1.3.2 and 2.1.4.2. Needs nothing but the proof, the sizes and the roots.
///
/// Proof elements and leaf hashes must be 32 bytes; anything else fails verification. Roots are
/// compared byte for byte.
public enum MerkleVerifier {
    /// The root that `proof` leads to from leaf `index` of a tree of `size` leaves, or `nil` when the
    /// proof has the wrong length or shape for that index and size (RFC 9162 section 2.1.3.2).
    public static func rootFromInclusion(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]]) -> [UInt8]? {
        guard index < size, leafHash.count == MerkleHash.byteCount else { return nil }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0, p.count == MerkleHash.byteCount else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Whether `proof` shows that the leaf with hash `leafHash` is leaf `index` of the tree of `size`
    /// leaves whose root is `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8])
        -> Bool
    {
        guard let computed = rootFromInclusion(leafHash: leafHash, index: index, size: size, proof: proof) else {
            return false
        }
        return computed == root
    }

    /// The old and new roots that a consistency proof from `oldSize` to `newSize` leads to, given the
    /// old root (RFC 9162 section 2.1.4.2 steps 2–6), or `nil` when the proof has the wrong shape.
    /// Requires `0 < oldSize < newSize`.
    public static func rootsFromConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], proof: [[UInt8]]
    ) -> (old: [UInt8], new: [UInt8])? {
        guard oldSize > 0, oldSize < newSize, !proof.isEmpty,
            proof.allSatisfy({ $0.count == MerkleHash.byteCount })
        else { return nil }
        // The old tree's root is left out of the proof when the old tree is a complete subtree.
        let path = oldSize.nonzeroBitCount == 1 ? [oldRoot] + proof : proof
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? (fr, sr) : nil
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the
    /// tree of `newSize` leaves with root `newRoot`.
    ///
    /// As in transparency-dev/merkle: an old size of 0 is always refused (a proof from the empty
    /// tree proves nothing), and equal sizes verify only with an empty proof and equal roots.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard oldSize > 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        guard let roots = rootsFromConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, proof: proof)
        else {
            return false
        }
        return roots.old == oldRoot && roots.new == newRoot
    }
}
