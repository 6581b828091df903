import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

@testable import KuraService

/// The receipt tree keeps only subtrees of 8 leaves and more in `merkle_nodes` (issue 15, the receipts' share of
/// the append cost); every smaller subtree a root or a proof needs is hashed from its receipts. Checked here
/// against RFC 6962 computed by hand (`naiveRoot`), at every size of a tree that is not a multiple of 8.
@Suite("the receipt tree's storage")
struct ReceiptTreeStorageTests {
    static let receipts = 37

    /// A world with `receipts` escrow receipts, and their leaf hashes by hand.
    static func world() async throws -> (EscrowWorld, [[UInt8]]) {
        let world = try await EscrowWorld.make()
        do {
            for _ in 0..<receipts { _ = try await world.open(amount: 10) }
            let leaves = try await storedReceiptTexts(world.service).map { naiveLeafHash(Array($0.utf8)) }
            #expect(leaves.count == receipts)
            return (world, leaves)
        } catch {
            world.close()
            throw error
        }
    }

    /// The rows `merkle_nodes` must hold for a tree of `size`: every complete subtree of 8 leaves or more.
    static func expectedRows(size: Int, leaves: [[UInt8]]) -> [String] {
        var rows: [String] = []
        for level in MerkleNode.lowestStoredLevel..<16 {
            let width = 1 << level
            for index in 0..<(size / width) {
                let hash = naiveRoot(leaves[(index * width)..<((index + 1) * width)])
                rows.append("\(level)/\(index)/\(Hex.encode(hash))")
            }
        }
        return rows
    }

    @Test("only subtrees of 8 leaves and more are stored; roots, inclusion and consistency proofs at every size")
    func proofsFromStoredAndHashedNodes() async throws {
        let (world, leaves) = try await Self.world()
        defer { world.close() }
        let service = world.service
        #expect(try await merkleNodeRows(service) == Self.expectedRows(size: leaves.count, leaves: leaves))
        let verifier = TestKeys.serviceSigner.verifier
        for size in 1...leaves.count {
            let root = naiveRoot(leaves.prefix(size))
            let checkpoint = try openCheckpoint(try await service.checkpoint(size: UInt64(size)), verifier)
            #expect(checkpoint.rootHash == root, "size \(size)")
            for index in 0..<size {
                let bundle = try await service.bundle(UInt64(index), size: UInt64(size))
                #expect(
                    ReceiptBundle.verify(bundleJSON: bundle, key: verifier)
                        == .valid(index: UInt64(index), size: UInt64(size), root: root),
                    "leaf \(index) of \(size)")
            }
            for from in 1...size {
                let proof = try await service.consistency(from: UInt64(from), to: UInt64(size))
                let hashes = try proof.hashes.map { hash in try #require(Base64.decode(hash)) }
                #expect(
                    MerkleVerifier.verifyConsistency(
                        oldSize: UInt64(from), newSize: UInt64(size), oldRoot: naiveRoot(leaves.prefix(from)),
                        newRoot: root, proof: hashes),
                    "\(from) → \(size)")
            }
        }
    }

    /// The refusal test of `ReceiptTests` runs where no stored node is completed; here the refused command's
    /// receipt is leaf 15, which completes the second subtree of 8: the node must not be written.
    @Test("a command that fails after the receipt completing a stored subtree leaves no node behind")
    func refusalAtAStoredNode() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let service = world.service
        var last: Escrow?
        for _ in 0..<15 { last = try await world.open(amount: 10) }
        let escrow = try #require(last)
        let rows = try await merkleNodeRows(service)
        #expect(rows.count == 1, "level 3, index 0: \(rows)")
        let delivered = EscrowEvent.delivered(evidence: ScenarioStep.digest("rolled back"), at: world.db.clock.now)
        let failed = await refusal {
            try await service.store.transact { (tx: inout WriteTransaction) throws(KuraError) in
                try tx.append(
                    NewEvent(stream: "escrow/\(escrow.id)", type: delivered.type, payload: delivered.payload),
                    actor: world.payee.id.rawValue, commandId: "cmd_forced_failure", at: world.db.clock.now)
                throw KuraError(.internalError, "forced failure with \(try tx.state.receiptCount()) receipts")
            }
        }
        #expect(failed?.detail.hasSuffix("with 16 receipts") == true, "\(String(describing: failed))")
        #expect(try await merkleNodeRows(service) == rows)
        try await world.act(.deliver, on: escrow.id, by: world.payee)
        let leaves = try await storedReceiptTexts(service).map { naiveLeafHash(Array($0.utf8)) }
        #expect(leaves.count == 16)
        #expect(try await merkleNodeRows(service) == Self.expectedRows(size: 16, leaves: leaves))
    }

    @Test("nodes an older build stored below level 3 are left out of the digest and removed on open")
    func olderRowsRemovedOnOpen() async throws {
        let (world, leaves) = try await Self.world()
        defer { world.close() }
        let service = world.service
        let digest = try await service.projectionDigest()
        let checkpoint = try await service.checkpoint()
        // What an older build wrote besides: every leaf and every subtree of 2 and 4 leaves.
        let raw = try SQLiteConnection(path: world.db.path, create: false)
        try raw.execute("PRAGMA busy_timeout = 10000")
        var appender = MerkleAppender()
        for leaf in leaves {
            for node in appender.append(leafHash: leaf) where !node.isStored {
                try raw.run(
                    "INSERT INTO merkle_nodes(level, idx, hash) VALUES (?, ?, ?)",
                    [.integer(Int64(node.level)), .integer(Int64(node.index)), .blob(node.hash)])
            }
        }
        // Rows below the stored levels are read by no one, and are not part of the digest either (a node of an
        // older version beside a newer one on PostgreSQL writes them until it stops).
        #expect(try await service.projectionDigest() == digest)
        #expect(try await merkleNodeRows(service).count > Self.expectedRows(size: leaves.count, leaves: leaves).count)
        // Any open of the file (here a second store, as the CLI beside a server) removes them.
        let reopened = try KuraService.openStore(path: world.db.path, create: false)
        reopened.close()
        #expect(try await merkleNodeRows(service) == Self.expectedRows(size: leaves.count, leaves: leaves))
        #expect(try await service.projectionDigest() == digest)
        let replay = try await service.replay()
        #expect(replay.before == replay.after && replay.after == digest)
        #expect(try await service.checkpoint() == checkpoint)
    }
}
