/// Grows an RFC 6962 tree one leaf at a time, keeping only the frontier in memory.
///
/// The frontier (a "compact range") is the list of complete subtrees that cover leaves
/// `[0, size)`, largest first: one per set bit of `size`, so at most 64 hashes. Appending a leaf
/// returns every complete subtree that now exists and did not before (the leaf itself at level 0,
/// then each parent it completes) so a store can persist them in the same transaction as the leaf.
///
/// ```swift
/// var appender = try MerkleAppender(size: storedSize, nodes: store)   // ≤ 64 reads
/// for node in appender.append(leafHash: MerkleHash.leaf(receiptBytes)) { insert(node) }
/// ```
public struct MerkleAppender: Sendable, Hashable {
    /// The number of leaves appended so far.
    public private(set) var size: UInt64
    /// The complete subtrees covering `[0, size)`, largest first.
    public private(set) var frontier: [MerkleNode]

    /// An appender for the empty tree.
    public init() {
        size = 0
        frontier = []
    }

    /// Resumes a tree of `size` leaves by reading its frontier, one hash per set bit of `size`.
    public init(size: UInt64, nodes: some MerkleNodeSource) throws {
        let ids = Self.frontierIDs(size: size)
        let hashes = try nodes.hashes(ids)
        guard hashes.count == ids.count else {
            throw MerkleError("the node source answered \(hashes.count) hashes for \(ids.count) nodes")
        }
        self.size = size
        frontier = zip(ids, hashes).map { MerkleNode(level: $0.level, index: $0.index, hash: $1) }
    }

    /// The complete subtrees that cover `[0, size)`, largest first: what ``init(size:nodes:)`` reads.
    public static func frontierIDs(size: UInt64) -> [MerkleNodeID] {
        size == 0 ? [] : MerkleRanges.pieces(0, size)
    }

    /// The root hash of the tree so far, from the frontier alone.
    public var root: [UInt8] {
        frontier.isEmpty ? MerkleHash.emptyRoot : MerkleRanges.fold(frontier.lazy.map(\.hash))
    }

    /// Appends one leaf hash (``MerkleHash/leaf(_:)`` of the leaf bytes) and returns the new complete
    /// subtrees, lowest first: the leaf at level 0, then each parent it completes.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [MerkleNode] {
        precondition(leafHash.count == MerkleHash.byteCount, "a leaf hash is 32 bytes")
        var node = MerkleNode(level: 0, index: size, hash: leafHash)
        var created = [node]
        while let last = frontier.last, last.level == node.level {
            frontier.removeLast()
            node = MerkleNode(
                level: node.level + 1, index: last.index >> 1, hash: MerkleHash.node(last.hash, node.hash))
            created.append(node)
        }
        frontier.append(node)
        size += 1
        // The frontier is one complete subtree per set bit of `size`, largest first (debug and test builds).
        assert(frontier.count == size.nonzeroBitCount, "a frontier of \(frontier.count) for \(size) leaves")
        assert(zip(frontier, frontier.dropFirst()).allSatisfy { $0.level > $1.level }, "frontier out of order")
        return created
    }

    /// Appends the leaf with these bytes (hashed as ``MerkleHash/leaf(_:)``) and returns the new complete subtrees.
    @discardableResult
    public mutating func append(leaf bytes: some Collection<UInt8>) -> [MerkleNode] {
        append(leafHash: MerkleHash.leaf(bytes))
    }
}

/// A whole tree in a dictionary: every complete subtree the appender emits. For tests and offline tools.
///
/// ```swift
/// var log = InMemoryMerkleNodes()
/// for receipt in receipts { log.append(leaf: try receipt.canonicalBytes()) }
/// let proof = try log.tree.inclusionProof(index: 3, size: log.size)
/// ```
public struct InMemoryMerkleNodes: MerkleNodeSource, Sendable {
    private var stored: [MerkleNodeID: [UInt8]] = [:]
    /// The frontier of the tree held here.
    public private(set) var appender = MerkleAppender()

    /// An empty tree.
    public init() {}

    /// A tree of these leaf hashes, in order.
    public init(leafHashes: some Sequence<[UInt8]>) {
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// The number of leaves.
    public var size: UInt64 { appender.size }

    /// The root hash of all the leaves.
    public var root: [UInt8] { appender.root }

    /// The number of complete-subtree hashes stored (about twice the number of leaves).
    public var nodeCount: Int { stored.count }

    /// Proofs and roots for any size up to ``size``.
    public var tree: MerkleTree<InMemoryMerkleNodes> { MerkleTree(nodes: self) }

    /// Appends one leaf hash; returns the complete subtrees it created (already stored here).
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [MerkleNode] {
        let created = appender.append(leafHash: leafHash)
        for node in created { stored[node.id] = node.hash }
        return created
    }

    /// Appends the leaf with these bytes; returns the complete subtrees it created.
    @discardableResult
    public mutating func append(leaf bytes: some Collection<UInt8>) -> [MerkleNode] {
        append(leafHash: MerkleHash.leaf(bytes))
    }

    public func hash(level: Int, index: UInt64) throws -> [UInt8] {
        guard let hash = stored[MerkleNodeID(level: level, index: index)] else {
            throw MerkleError("no complete subtree at level \(level), index \(index) in a tree of \(size) leaves")
        }
        return hash
    }
}
