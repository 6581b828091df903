/// RFC 6962 / RFC 9162 section 2.1 Merkle tree hashing with SHA-256.
///
/// Leaves and interior nodes are domain-separated by a one-byte prefix, so no leaf can be passed
/// off as an interior node (second-preimage resistance):
///
/// - leaf: `SHA-256(0x00 || bytes)`
/// - node: `SHA-256(0x01 || left || right)`
/// - the empty tree: `SHA-256("")`
public enum MerkleHash {
    /// The length of every hash in the tree, in bytes.
    public static let byteCount = 32

    /// The root of the tree with no leaves: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// The hash of one leaf: `SHA-256(0x00 || bytes)`.
    public static func leaf(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(byte: 0x00)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The hash of an interior node: `SHA-256(0x01 || left || right)`.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        let count = 1 + left.count + right.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            buffer[0] = 0x01
            var i = 1
            for byte in left { buffer[i] = byte; i += 1 }
            for byte in right { buffer[i] = byte; i += 1 }
            return SHA256.hash(UnsafeBufferPointer(buffer))
        }
    }
}

/// Names one complete (perfect) subtree: the `2^level` leaves starting at leaf `index * 2^level`.
///
/// Level 0 holds the leaf hashes, level 1 the hashes of leaf pairs `[2i, 2i+2)`, and so on. These
/// are the only nodes a log ever needs to store: every root and proof is assembled from them.
public struct MerkleNodeID: Sendable, Hashable, CustomStringConvertible {
    /// The height of the subtree: it covers `2^level` leaves.
    public let level: Int
    /// The position of the subtree among those of its level.
    public let index: UInt64

    /// Names the subtree of `2^level` leaves starting at leaf `index * 2^level`.
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    /// The first leaf the subtree covers.
    public var firstLeaf: UInt64 { index << UInt64(level) }

    /// The number of leaves the subtree covers.
    public var leafCount: UInt64 { 1 << UInt64(level) }

    public var description: String { "(level \(level), index \(index))" }
}

/// A complete subtree's hash, as the appender produces it for storage.
public struct MerkleNode: Sendable, Hashable {
    /// The height of the subtree (0 for a leaf).
    public let level: Int
    /// The position of the subtree within its level.
    public let index: UInt64
    /// The subtree's RFC 6962 hash.
    public let hash: [UInt8]

    /// A stored subtree hash.
    public init(level: Int, index: UInt64, hash: [UInt8]) {
        self.level = level
        self.index = index
        self.hash = hash
    }

    /// The subtree this hash belongs to.
    public var id: MerkleNodeID { MerkleNodeID(level: level, index: index) }
}

/// Where the tree algorithms read complete-subtree hashes from: a database table, a dictionary, a file.
///
/// ``hash(level:index:)`` returns the hash of the complete subtree of `2^level` leaves starting at
/// leaf `index * 2^level` (level 0 = the leaf hashes). Only subtrees that are complete in the tree
/// being asked about are ever requested, so a store that persists every node the ``MerkleAppender``
/// emits can answer every request.
public protocol MerkleNodeSource {
    /// The hash of the complete subtree of `2^level` leaves starting at leaf `index * 2^level`.
    func hash(level: Int, index: UInt64) throws -> [UInt8]

    /// The hashes of several complete subtrees, in the order asked. The default calls
    /// ``hash(level:index:)`` for each; a database can answer with one query instead.
    func hashes(_ ids: [MerkleNodeID]) throws -> [[UInt8]]
}

extension MerkleNodeSource {
    public func hashes(_ ids: [MerkleNodeID]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(ids.count)
        for id in ids { out.append(try hash(level: id.level, index: id.index)) }
        return out
    }
}

/// A request the Merkle algorithms cannot answer: an index outside the tree, sizes in the wrong
/// order, a misaligned range or a node missing from an in-memory source.
public struct MerkleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in one line, for people.
    public let reason: String
    /// Creates an error with a reason.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
