import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// The RFC 6962 / 9162 vectors in Fixtures/vectors/merkle-rfc6962.json (see its "description" and "source").
struct MerkleVectors: Decodable, Sendable {
    struct Hasher: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let function: String
        let input_hex: String?
        let left_hex: String?
        let right_hex: String?
        let expected: String
        var testDescription: String { name }
    }
    struct Root: Decodable, Sendable, CustomTestStringConvertible {
        let tree_size: UInt64
        let root: String
        var testDescription: String { "size \(tree_size)" }
    }
    /// A proof that must be produced exactly and verify (happy paths and derived tables).
    struct Inclusion: Decodable, Sendable, CustomTestStringConvertible {
        let leaf_index: UInt64
        let tree_size: UInt64
        let leaf_hash: String?
        let root: String?
        let path: [String]
        var testDescription: String { "leaf \(leaf_index) of \(tree_size)" }
    }
    struct Consistency: Decodable, Sendable, CustomTestStringConvertible {
        let size1: UInt64
        let size2: UInt64
        let root1: String?
        let root2: String?
        let path: [String]
        var testDescription: String { "\(size1) → \(size2)" }
    }
    /// A transparency-dev/merkle testdata probe: valid or deliberately broken.
    struct InclusionProbe: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let desc: String
        let leaf_index: UInt64
        let tree_size: UInt64
        let leaf_hash: String
        let root: String
        let path: [String]
        let expected_valid: Bool
        var testDescription: String { file }
    }
    struct ConsistencyProbe: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let desc: String
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let path: [String]
        let expected_valid: Bool
        var testDescription: String { file }
    }
    struct LargeTree: Decodable, Sendable {
        let root_1000: String
        let inclusion_proofs: [Inclusion]
        let consistency_proofs: [Consistency]
    }
    let leaves: [String]
    let leaf_hashes: [String]
    let node_hashes_by_level: [[String]]
    let roots: [Root]
    let hasher_vectors: [Hasher]
    let inclusion_proofs: [Inclusion]
    let consistency_proofs: [Consistency]
    let inclusion_probes: [InclusionProbe]
    let consistency_probes: [ConsistencyProbe]
    let derived_all_inclusion_proofs: [Inclusion]
    let derived_all_consistency_proofs: [Consistency]
    let derived_large_tree: LargeTree

    static let url = VectorFixtures.url("merkle-rfc6962.json")

    static func load() throws -> MerkleVectors {
        try VectorFixtures.load("merkle-rfc6962.json", as: MerkleVectors.self)
    }

    /// Empty when the file is missing, so the parameterised tests run zero cases and
    /// `fixtureIsComplete` reports the real problem instead of the process crashing.
    static let shared =
        (try? load())
        ?? MerkleVectors(
            leaves: [], leaf_hashes: [], node_hashes_by_level: [], roots: [], hasher_vectors: [], inclusion_proofs: [],
            consistency_proofs: [], inclusion_probes: [], consistency_probes: [], derived_all_inclusion_proofs: [],
            derived_all_consistency_proofs: [],
            derived_large_tree: LargeTree(root_1000: "", inclusion_proofs: [], consistency_proofs: []))

    /// The 8-leaf CT test tree, built with the appender.
    static var testTree: InMemoryMerkleNodes {
        InMemoryMerkleNodes(leafHashes: shared.leaves.map { MerkleHash.leaf(bytes($0)) })
    }

    /// The derived 1,000-leaf tree: leaf i is the 4-byte big-endian encoding of i.
    static let largeTree = InMemoryMerkleNodes(leafHashes: (0..<1000).map { MerkleHash.leaf(uint32BigEndian($0)) })
}

private func bytes(_ hex: String) -> [UInt8] {
    guard let decoded = Hex.decode(hex) else { fatalError("bad hex in a fixture: \(hex.prefix(40))") }
    return decoded
}

private func uint32BigEndian(_ i: Int) -> [UInt8] {
    [UInt8(i >> 24 & 0xff), UInt8(i >> 16 & 0xff), UInt8(i >> 8 & 0xff), UInt8(i & 0xff)]
}

// MARK: A naive RFC 6962 section 2.1 implementation, straight from the recursive definitions

/// MTH, PATH and PROOF/SUBPROOF over an array of leaf hashes, recomputing everything from the leaves.
enum NaiveRFC6962 {
    static func k(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    static func mth(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        switch d.count {
        case 0: return MerkleHash.emptyRoot
        case 1: return d.first!
        default:
            let split = d.startIndex + k(d.count)
            return MerkleHash.node(mth(d[..<split]), mth(d[split...]))
        }
    }

    static func path(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard d.count > 1 else { return [] }
        let k = k(d.count)
        let split = d.startIndex + k
        return m < k ? path(m, d[..<split]) + [mth(d[split...])] : path(m - k, d[split...]) + [mth(d[..<split])]
    }

    static func proof(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        m == 0 ? [] : subproof(m, d, true)
    }

    static func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        if m == d.count { return b ? [] : [mth(d)] }
        let k = k(d.count)
        let split = d.startIndex + k
        return m <= k
            ? subproof(m, d[..<split], b) + [mth(d[split...])]
            : subproof(m - k, d[split...], false) + [mth(d[..<split])]
    }
}

/// Counts the complete-subtree hashes a computation reads.
final class CountingNodes: MerkleNodeSource {
    let inner: InMemoryMerkleNodes
    var reads = 0
    var calls = 0
    init(_ inner: InMemoryMerkleNodes) { self.inner = inner }
    func hash(level: Int, index: UInt64) throws -> [UInt8] {
        reads += 1
        return try inner.hash(level: level, index: index)
    }
    func hashes(_ ids: [MerkleNodeID]) throws -> [[UInt8]] {
        calls += 1
        return try ids.map { try hash(level: $0.level, index: $0.index) }
    }
}

private func randomLeafHashes(_ count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in MerkleHash.leaf((0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
}

@Suite struct MerkleTests {
    // MARK: Vectors

    @Test("the fixture loads and has every section")
    func fixtureIsComplete() throws {
        let v = try MerkleVectors.load()
        #expect(v.leaves.count == 8)
        #expect(v.leaf_hashes.count == 8)
        #expect(v.node_hashes_by_level.map(\.count) == [8, 4, 2, 1])
        #expect(v.roots.count == 9)
        #expect(v.hasher_vectors.count == 4)
        #expect(v.inclusion_proofs.count == 5)
        #expect(v.consistency_proofs.count == 5)
        #expect(v.inclusion_probes.count == 98)
        #expect(v.consistency_probes.count == 98)
        #expect(v.derived_all_inclusion_proofs.count == 36)
        #expect(v.derived_all_consistency_proofs.count == 36)
        #expect(v.derived_large_tree.inclusion_proofs.count == 40)
        #expect(v.derived_large_tree.consistency_proofs.count == 40)
    }

    @Test(
        "rfc6962_test.go hasher vectors: empty root, leaf and node hashes",
        arguments: MerkleVectors.shared.hasher_vectors)
    func hasherVector(_ vector: MerkleVectors.Hasher) throws {
        let computed: [UInt8] =
            switch vector.function {
            case "empty_root": MerkleHash.emptyRoot
            case "leaf_hash": MerkleHash.leaf(bytes(try #require(vector.input_hex)))
            case "node_hash":
                MerkleHash.node(bytes(try #require(vector.left_hex)), bytes(try #require(vector.right_hex)))
            default: []
            }
        #expect(Hex.encode(computed) == vector.expected)
    }

    @Test("the CT test leaves hash to the published leaf hashes")
    func leafHashes() {
        let v = MerkleVectors.shared
        #expect(v.leaves.map { Hex.encode(MerkleHash.leaf(bytes($0))) } == v.leaf_hashes)
    }

    @Test(
        "roots for sizes 0–8: from stored nodes, from the appender and from the naive definition",
        arguments: MerkleVectors.shared.roots)
    func root(_ vector: MerkleVectors.Root) throws {
        let tree = MerkleVectors.testTree
        #expect(Hex.encode(try tree.tree.root(size: vector.tree_size)) == vector.root)
        var appender = MerkleAppender()
        for leaf in MerkleVectors.shared.leaves.prefix(Int(vector.tree_size)) { appender.append(leaf: bytes(leaf)) }
        #expect(Hex.encode(appender.root) == vector.root)
        let leafHashes = MerkleVectors.shared.leaf_hashes.map(bytes)
        #expect(Hex.encode(NaiveRFC6962.mth(leafHashes.prefix(Int(vector.tree_size)))) == vector.root)
    }

    @Test("every complete subtree hash of the 8-leaf tree is stored, and the appender emits each exactly once")
    func subtreeHashes() throws {
        let v = MerkleVectors.shared
        var appender = MerkleAppender()
        var emitted: [MerkleNode] = []
        for leaf in v.leaves { emitted += appender.append(leaf: bytes(leaf)) }
        var expected: [MerkleNode] = []
        for (level, hashes) in v.node_hashes_by_level.enumerated() {
            for (index, hash) in hashes.enumerated() {
                expected.append(MerkleNode(level: level, index: UInt64(index), hash: bytes(hash)))
            }
        }
        #expect(Set(emitted) == Set(expected))
        #expect(emitted.count == expected.count)
        let tree = MerkleVectors.testTree
        #expect(tree.nodeCount == 15)
        for node in expected {
            #expect(try tree.hash(level: node.level, index: node.index) == node.hash)
            let start = node.index << UInt64(node.level)
            #expect(try tree.tree.subtreeHash(from: start, to: start + (1 << UInt64(node.level))) == node.hash)
        }
    }

    @Test(
        "public happy-path inclusion proofs are produced exactly and verify",
        arguments: MerkleVectors.shared.inclusion_proofs)
    func inclusionHappyPath(_ vector: MerkleVectors.Inclusion) throws {
        try checkInclusion(vector, in: MerkleVectors.testTree)
    }

    @Test(
        "public happy-path consistency proofs are produced exactly and verify",
        arguments: MerkleVectors.shared.consistency_proofs)
    func consistencyHappyPath(_ vector: MerkleVectors.Consistency) throws {
        try checkConsistency(vector, in: MerkleVectors.testTree)
    }

    @Test(
        "every transparency-dev inclusion probe gets its expected verdict",
        arguments: MerkleVectors.shared.inclusion_probes)
    func inclusionProbe(_ probe: MerkleVectors.InclusionProbe) {
        let verdict = MerkleVerifier.verifyInclusion(
            leafHash: bytes(probe.leaf_hash), index: probe.leaf_index, size: probe.tree_size,
            proof: probe.path.map(bytes), root: bytes(probe.root))
        #expect(verdict == probe.expected_valid, "\(probe.desc)")
    }

    @Test(
        "every transparency-dev consistency probe gets its expected verdict",
        arguments: MerkleVectors.shared.consistency_probes)
    func consistencyProbe(_ probe: MerkleVectors.ConsistencyProbe) {
        let verdict = MerkleVerifier.verifyConsistency(
            oldSize: probe.size1, newSize: probe.size2, oldRoot: bytes(probe.root1), newRoot: bytes(probe.root2),
            proof: probe.path.map(bytes))
        #expect(verdict == probe.expected_valid, "\(probe.desc)")
    }

    @Test("every derived inclusion proof for sizes 1–8", arguments: MerkleVectors.shared.derived_all_inclusion_proofs)
    func derivedInclusion(_ vector: MerkleVectors.Inclusion) throws {
        try checkInclusion(vector, in: MerkleVectors.testTree)
    }

    @Test(
        "every derived consistency proof for sizes 1–8", arguments: MerkleVectors.shared.derived_all_consistency_proofs)
    func derivedConsistency(_ vector: MerkleVectors.Consistency) throws {
        try checkConsistency(vector, in: MerkleVectors.testTree)
    }

    @Test("the derived 1,000-leaf tree: its root")
    func largeTreeRoot() throws {
        let tree = MerkleVectors.largeTree
        #expect(tree.size == 1000)
        #expect(Hex.encode(tree.root) == MerkleVectors.shared.derived_large_tree.root_1000)
        #expect(Hex.encode(try tree.tree.root(size: 1000)) == MerkleVectors.shared.derived_large_tree.root_1000)
    }

    @Test(
        "the derived 1,000-leaf tree: inclusion proofs",
        arguments: MerkleVectors.shared.derived_large_tree.inclusion_proofs)
    func largeTreeInclusion(_ vector: MerkleVectors.Inclusion) throws {
        try checkInclusion(vector, in: MerkleVectors.largeTree)
    }

    @Test(
        "the derived 1,000-leaf tree: consistency proofs",
        arguments: MerkleVectors.shared.derived_large_tree.consistency_proofs)
    func largeTreeConsistency(_ vector: MerkleVectors.Consistency) throws {
        try checkConsistency(vector, in: MerkleVectors.largeTree)
    }

    /// The proof is produced exactly from stored nodes, verifies, and recomputes the root.
    private func checkInclusion(_ vector: MerkleVectors.Inclusion, in tree: InMemoryMerkleNodes) throws {
        let leafHash = try tree.hash(level: 0, index: vector.leaf_index)
        if let expected = vector.leaf_hash { #expect(Hex.encode(leafHash) == expected) }
        let root = try tree.tree.root(size: vector.tree_size)
        if let expected = vector.root { #expect(Hex.encode(root) == expected) }
        let proof = try tree.tree.inclusionProof(index: vector.leaf_index, size: vector.tree_size)
        #expect(proof.map(Hex.encode) == vector.path)
        #expect(
            MerkleVerifier.rootFromInclusion(
                leafHash: leafHash, index: vector.leaf_index, size: vector.tree_size, proof: proof)
                == root)
        #expect(
            MerkleVerifier.verifyInclusion(
                leafHash: leafHash, index: vector.leaf_index, size: vector.tree_size, proof: proof, root: root))
    }

    private func checkConsistency(_ vector: MerkleVectors.Consistency, in tree: InMemoryMerkleNodes) throws {
        let root1 = try tree.tree.root(size: vector.size1)
        let root2 = try tree.tree.root(size: vector.size2)
        if let expected = vector.root1 { #expect(Hex.encode(root1) == expected) }
        if let expected = vector.root2 { #expect(Hex.encode(root2) == expected) }
        let proof = try tree.tree.consistencyProof(from: vector.size1, to: vector.size2)
        #expect(proof.map(Hex.encode) == vector.path)
        #expect(
            MerkleVerifier.verifyConsistency(
                oldSize: vector.size1, newSize: vector.size2, oldRoot: root1, newRoot: root2, proof: proof))
    }

    // MARK: Against the naive definition

    @Test("every inclusion proof for every (index, size) with size ≤ 64 equals RFC 6962 PATH and verifies")
    func allInclusionUpTo64() throws {
        let leaves = randomLeafHashes(64, seed: 64)
        let tree = InMemoryMerkleNodes(leafHashes: leaves)
        var checked = 0
        for size in 1...64 {
            let root = NaiveRFC6962.mth(leaves.prefix(size))
            #expect(try tree.tree.root(size: UInt64(size)) == root)
            for index in 0..<size {
                let proof = try tree.tree.inclusionProof(index: UInt64(index), size: UInt64(size))
                #expect(proof == NaiveRFC6962.path(index, leaves.prefix(size)), "leaf \(index) of \(size)")
                #expect(
                    MerkleVerifier.verifyInclusion(
                        leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root))
                checked += 1
            }
        }
        #expect(checked == 64 * 65 / 2)
    }

    @Test("every consistency proof for every (m, n) with m ≤ n ≤ 64 equals RFC 6962 PROOF and verifies")
    func allConsistencyUpTo64() throws {
        let leaves = randomLeafHashes(64, seed: 65)
        let tree = InMemoryMerkleNodes(leafHashes: leaves)
        let roots = (0...64).map { NaiveRFC6962.mth(leaves.prefix($0)) }
        var checked = 0
        for n in 0...64 {
            for m in 0...n {
                let proof = try tree.tree.consistencyProof(from: UInt64(m), to: UInt64(n))
                #expect(proof == NaiveRFC6962.proof(m, leaves.prefix(n)), "\(m) → \(n)")
                // An old size of 0 is refused by the verifier, whatever the proof (transparency-dev semantics).
                #expect(
                    MerkleVerifier.verifyConsistency(
                        oldSize: UInt64(m), newSize: UInt64(n), oldRoot: roots[m], newRoot: roots[n], proof: proof)
                        == (m > 0))
                checked += 1
            }
        }
        #expect(checked == 65 * 66 / 2)
    }

    @Test("200 random inclusion and 200 random consistency proofs in trees up to 5,000 leaves equal the naive ones")
    func randomLargeProofs() throws {
        let leaves = randomLeafHashes(5000, seed: 5000)
        let tree = InMemoryMerkleNodes(leafHashes: leaves)
        var rng = SplitMix64(seed: 0x4B55_5241)
        for _ in 0..<200 {
            let size = Int.random(in: 1...5000, using: &rng)
            let index = Int.random(in: 0..<size, using: &rng)
            let proof = try tree.tree.inclusionProof(index: UInt64(index), size: UInt64(size))
            #expect(proof == NaiveRFC6962.path(index, leaves.prefix(size)), "leaf \(index) of \(size)")
            let root = try tree.tree.root(size: UInt64(size))
            #expect(root == NaiveRFC6962.mth(leaves.prefix(size)))
            #expect(
                MerkleVerifier.verifyInclusion(
                    leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root))
        }
        for _ in 0..<200 {
            let n = Int.random(in: 1...5000, using: &rng)
            let m = Int.random(in: 1...n, using: &rng)
            let proof = try tree.tree.consistencyProof(from: UInt64(m), to: UInt64(n))
            #expect(proof == NaiveRFC6962.proof(m, leaves.prefix(n)), "\(m) → \(n)")
            #expect(
                MerkleVerifier.verifyConsistency(
                    oldSize: UInt64(m), newSize: UInt64(n), oldRoot: try tree.tree.root(size: UInt64(m)),
                    newRoot: try tree.tree.root(size: UInt64(n)), proof: proof))
        }
    }

    // MARK: Cost

    @Test("in a 5,000-leaf tree a root reads ≤ ⌈log2 n⌉ nodes and any proof ≤ 3·⌈log2 n⌉, in one batch")
    func nodeReadsAreLogarithmic() throws {
        let n: UInt64 = 5000
        let logN = 64 - (n - 1).leadingZeroBitCount  // ⌈log2 5000⌉ = 13
        #expect(logN == 13)
        let source = CountingNodes(InMemoryMerkleNodes(leafHashes: randomLeafHashes(Int(n), seed: 7)))
        let tree = MerkleTree(nodes: source)
        _ = try tree.root(size: n)
        #expect(source.reads <= logN)
        var worstInclusion = 0
        var worstConsistency = 0
        for size in [n, 4096, 4097, 4095, 3333, 2049] {
            for index in stride(from: UInt64(0), to: size, by: 7) {
                source.reads = 0
                source.calls = 0
                _ = try tree.inclusionProof(index: index, size: size)
                worstInclusion = max(worstInclusion, source.reads)
                #expect(source.calls == 1)
            }
            for old in stride(from: UInt64(1), through: size, by: 5) {
                source.reads = 0
                _ = try tree.consistencyProof(from: old, to: size)
                worstConsistency = max(worstConsistency, source.reads)
            }
        }
        #expect(worstInclusion <= 3 * logN)
        #expect(worstConsistency <= 3 * logN)
        // Resuming an appender reads one hash per set bit of the size.
        source.reads = 0
        let resumed = try MerkleAppender(size: n, nodes: source)
        #expect(source.reads == n.nonzeroBitCount)
        #expect(resumed.root == source.inner.root)
    }

    // MARK: Appender

    @Test("an appender resumed from stored nodes at any size ≤ 64 equals the original and goes on identically")
    func appenderResumes() throws {
        let leaves = randomLeafHashes(80, seed: 80)
        var full = InMemoryMerkleNodes()
        var originals: [MerkleAppender] = [full.appender]
        for leaf in leaves {
            full.append(leafHash: leaf)
            originals.append(full.appender)
        }
        for size in 0...64 {
            var resumed = try MerkleAppender(size: UInt64(size), nodes: full)
            #expect(resumed == originals[size])
            #expect(resumed.frontier.count == UInt64(size).nonzeroBitCount)
            #expect(resumed.root == NaiveRFC6962.mth(leaves.prefix(size)))
            var reference = originals[size]
            for leaf in leaves[size..<size + 16] {
                #expect(resumed.append(leafHash: leaf) == reference.append(leafHash: leaf))
            }
            #expect(resumed.root == NaiveRFC6962.mth(leaves.prefix(size + 16)))
        }
    }

    @Test("each append emits the leaf and exactly the parents it completes: 1 + trailing ones of the old size")
    func appenderEmitsCompletedParents() {
        var appender = MerkleAppender()
        for size in UInt64(0)..<300 {
            let created = appender.append(leafHash: MerkleHash.leaf(uint32BigEndian(Int(size))))
            #expect(created.count == 1 + (~size).trailingZeroBitCount)
            #expect(created.map(\.level) == Array(0..<created.count))
            #expect(created.allSatisfy { $0.index == size >> UInt64($0.level) })
        }
        #expect(MerkleAppender.frontierIDs(size: 300).map(\.level) == [8, 5, 3, 2])
    }

    // MARK: Refusals

    @Test("out-of-range requests are refused with a MerkleError")
    func refusals() throws {
        let tree = MerkleVectors.testTree
        #expect(throws: MerkleError.self) { try tree.tree.inclusionProof(index: 8, size: 8) }
        #expect(throws: MerkleError.self) { try tree.tree.inclusionProof(index: 0, size: 0) }
        #expect(throws: MerkleError.self) { try tree.tree.consistencyProof(from: 5, to: 4) }
        #expect(throws: MerkleError.self) { try tree.tree.subtreeHash(from: 2, to: 6) }  // [2, 6) is not aligned to 4
        #expect(throws: MerkleError.self) { try tree.tree.subtreeHash(from: 3, to: 3) }
        #expect(throws: MerkleError.self) { try tree.tree.root(size: 9) }  // leaf 8 does not exist
        #expect(throws: MerkleError.self) { try MerkleAppender(size: 9, nodes: tree) }
        #expect(try tree.tree.consistencyProof(from: 0, to: 8).isEmpty)
        #expect(try tree.tree.consistencyProof(from: 8, to: 8).isEmpty)
        #expect(
            try tree.tree.subtreeHash(from: 4, to: 7)
                == NaiveRFC6962.mth(MerkleVectors.shared.leaf_hashes.map(bytes)[4..<7]))
    }

    @Test("flipping any bit of any proof hash, or adding or dropping one, breaks every proof in trees up to 16")
    func tamperedProofsFail() throws {
        let leaves = randomLeafHashes(16, seed: 16)
        let tree = InMemoryMerkleNodes(leafHashes: leaves)
        for size in UInt64(1)...16 {
            let root = try tree.tree.root(size: size)
            for index in 0..<size {
                let proof = try tree.tree.inclusionProof(index: index, size: size)
                for i in proof.indices {
                    for bit in [0, 77, 255] {
                        var bad = proof
                        bad[i][bit / 8] ^= 1 << UInt8(bit % 8)
                        #expect(
                            !MerkleVerifier.verifyInclusion(
                                leafHash: leaves[Int(index)], index: index, size: size, proof: bad, root: root))
                    }
                }
                #expect(
                    !MerkleVerifier.verifyInclusion(
                        leafHash: leaves[Int(index)], index: index, size: size, proof: proof + [root], root: root))
                if !proof.isEmpty {
                    #expect(
                        !MerkleVerifier.verifyInclusion(
                            leafHash: leaves[Int(index)], index: index, size: size, proof: Array(proof.dropLast()),
                            root: root))
                }
                if size > 1 {
                    #expect(
                        !MerkleVerifier.verifyInclusion(
                            leafHash: leaves[Int(index)], index: (index + 1) % size, size: size, proof: proof,
                            root: root))
                }
            }
            for old in UInt64(1)..<size {
                let oldRoot = try tree.tree.root(size: old)
                let proof = try tree.tree.consistencyProof(from: old, to: size)
                for i in proof.indices {
                    var bad = proof
                    bad[i][31] ^= 0x80
                    #expect(
                        !MerkleVerifier.verifyConsistency(
                            oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: bad))
                }
                #expect(
                    !MerkleVerifier.verifyConsistency(
                        oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: Array(proof.dropLast())))
                #expect(
                    !MerkleVerifier.verifyConsistency(
                        oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof + [root]))
            }
        }
    }
}
