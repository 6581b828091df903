import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Logging
import Testing

@testable import KuraService

/// Trust receipts and their transparency log (DESIGN section 6, issue 5), at the service level, over the
/// golden scenarios: one receipt per escrow event with the right facts, bundles and consistency proofs that
/// verify offline, a tree that replay rebuilds identically and that matches a naive recomputation, refused
/// commands that leave nothing behind, and key rotation.
@Suite("trust receipts")
struct ReceiptTests {
    static let verifier = TestKeys.serviceSigner.verifier

    // MARK: One receipt per event, with the right facts

    /// What a receipt must say about an escrow event, worked out here from the raw event payloads (not
    /// through KuraCore's `EscrowEvent` or `Receipt.derive`).
    struct ReferenceFacts: Equatable, CustomStringConvertible {
        var kind: String
        var subject: String
        var payer: String
        var payee: String
        var amount: UInt64
        var asset: String
        var outcome: String
        var at: Int64
        var deliveryLatencyMs: Int64?
        var onTime: Bool?
        var disputed: Bool
        var fee: UInt64?
        var disputeId: String?
        var round: Int?
        var refundBps: Int?
        var refund: UInt64?

        init(_ r: Receipt) {
            kind = r.kind
            subject = r.subject
            payer = r.payer.rawValue
            payee = r.payee.rawValue
            amount = r.amount.units
            asset = r.asset.name
            outcome = r.outcome
            at = r.at.milliseconds
            deliveryLatencyMs = r.deliveryLatencyMs
            onTime = r.onTime
            disputed = r.disputed
            fee = r.fee?.units
            disputeId = r.disputeId?.rawValue
            round = r.round
            refundBps = r.refundBps
            refund = r.refund?.units
        }

        init(
            kind: String, subject: String, payer: String, payee: String, amount: UInt64, asset: String, outcome: String,
            at: Int64, deliveryLatencyMs: Int64?, onTime: Bool?, disputed: Bool, fee: UInt64?, disputeId: String?,
            round: Int? = nil, refundBps: Int? = nil, refund: UInt64? = nil
        ) {
            self.kind = kind
            self.subject = subject
            self.payer = payer
            self.payee = payee
            self.amount = amount
            self.asset = asset
            self.outcome = outcome
            self.at = at
            self.deliveryLatencyMs = deliveryLatencyMs
            self.onTime = onTime
            self.disputed = disputed
            self.fee = fee
            self.disputeId = disputeId
            self.round = round
            self.refundBps = refundBps
            self.refund = refund
        }

        var description: String {
            "\(kind) \(outcome) \(amount) \(asset) latency=\(deliveryLatencyMs.map(String.init) ?? "-") onTime=\(onTime.map(String.init) ?? "-") disputed=\(disputed) fee=\(fee.map(String.init) ?? "-")"
        }
    }

    /// The facts each receipt-bearing event of the log should produce, in log order: every escrow event but
    /// `escrow.resolved`, and the rulings, appeals and resolutions of disputes.
    static func referenceFacts(_ events: [Event]) throws -> [(Event, ReferenceFacts)] {
        struct Terms {
            var payer, payee, asset: String
            var amount: UInt64
            var deliverBy, lockedAt: Int64
            var deliveredAt: Int64?
            var disputed = false
        }
        var escrows: [String: Terms] = [:]
        var disputedEscrow: [String: String] = [:]
        var out: [(Event, ReferenceFacts)] = []
        for event in events where event.type.hasPrefix("dispute.") || event.type.hasPrefix("escrow.") {
            let p = event.payload
            if event.type.hasPrefix("dispute.") {
                guard ["dispute.ruled", "dispute.appealed", "dispute.resolved"].contains(event.type) else { continue }
                let disputeId = String(event.stream.dropFirst("dispute/".count))
                let subject = try #require(disputedEscrow[disputeId])
                let terms = try #require(escrows[subject])
                let resolved = event.type == "dispute.resolved"
                out.append(
                    (
                        event,
                        ReferenceFacts(
                            kind: event.type, subject: subject, payer: terms.payer, payee: terms.payee,
                            amount: terms.amount, asset: terms.asset,
                            outcome: String(event.type.dropFirst("dispute.".count)), at: event.at.milliseconds,
                            deliveryLatencyMs: nil, onTime: nil, disputed: true,
                            fee: resolved ? try #require(p["fee"]?.uint64Value) : nil, disputeId: disputeId,
                            round: p["round"]?.int64Value.map { Int($0) },
                            refundBps: p["refundBps"]?.int64Value.map { Int($0) },
                            refund: resolved ? try #require(p["refund"]?.uint64Value) : nil)
                    ))
                continue
            }
            if event.type == "escrow.resolved" { continue }
            let subject = String(event.stream.dropFirst("escrow/".count))
            if event.type == "escrow.locked" {
                let t = try #require(p["terms"])
                escrows[subject] = Terms(
                    payer: try #require(t["payer"]?.stringValue), payee: try #require(t["payee"]?.stringValue),
                    asset: try #require(t["asset"]?.stringValue), amount: try #require(t["amount"]?.uint64Value),
                    deliverBy: try #require(t["deliverBy"]?.int64Value),
                    lockedAt: try #require(t["lockedAt"]?.int64Value))
            }
            var terms = try #require(escrows[subject], "an event for \(subject) before its lock")
            var outcome = String(event.type.dropFirst("escrow.".count))
            var fee: UInt64?
            var disputeId: String?
            switch event.type {
            case "escrow.delivered": terms.deliveredAt = try #require(p["at"]?.int64Value)
            case "escrow.disputed":
                terms.disputed = true
                disputeId = try #require(p["disputeId"]?.stringValue)
                disputedEscrow[disputeId!] = subject
            case "escrow.released":
                outcome = p["reason"]?.stringValue == "auto" ? "auto_released" : "confirmed"
                fee = try #require(p["fee"]?.uint64Value)
            default: break
            }
            escrows[subject] = terms
            out.append(
                (
                    event,
                    ReferenceFacts(
                        kind: event.type, subject: subject, payer: terms.payer, payee: terms.payee,
                        amount: terms.amount,
                        asset: terms.asset, outcome: outcome, at: event.at.milliseconds,
                        deliveryLatencyMs: terms.deliveredAt.map { $0 - terms.lockedAt },
                        onTime: terms.deliveredAt.map { $0 <= terms.deliverBy }, disputed: terms.disputed, fee: fee,
                        disputeId: disputeId)
                ))
        }
        return out
    }

    @Test(
        "every receipt-bearing event yields exactly one receipt, with the facts its events imply",
        arguments: GoldenFixtures.names)
    func oneReceiptPerEvent(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        let events = try await allLogEvents(session.service.store)
        let expected = try Self.referenceFacts(events)
        let receipts = session.result.receipts
        #expect(receipts.count == expected.count)
        #expect(try await session.service.receiptCount() == UInt64(expected.count))
        #expect(Set(receipts.map(\.eventSeq)).count == receipts.count, "two receipts for one event")
        for (index, (receipt, (event, facts))) in zip(receipts, expected).enumerated() {
            #expect(receipt.v == 1)
            #expect(receipt.index == UInt64(index))
            #expect(receipt.eventSeq == event.seq)
            #expect(receipt.eventHash == Hex.encode(event.hash))
            #expect(ReferenceFacts(receipt) == facts, "receipt \(index)")
        }
        // No other event yields a receipt.
        let receiptSeqs = Set(receipts.map(\.eventSeq))
        let bearing = Set(expected.map(\.0.seq))
        #expect(events.filter { !bearing.contains($0.seq) }.allSatisfy { !receiptSeqs.contains($0.seq) })
        // What the log stores as leaf bytes is the canonical JSON of the receipt it serves.
        let stored = try await storedReceiptTexts(session.service)
        #expect(stored == (try receipts.map { String(decoding: try $0.leafBytes(), as: UTF8.self) }))
    }

    /// The receipt of `label`'s event of `kind` in a session.
    static func receipt(_ session: ScenarioSession, _ label: String, _ kind: String) throws -> Receipt {
        let id = try #require(session.escrows[label])
        return try #require(session.result.receipts.first { $0.subject == id.rawValue && $0.kind == kind })
    }

    @Test("receipts carry the latencies, fees and flags worked out by hand from the scenario scripts")
    func handCheckedFacts() async throws {
        // happy-path: e1 locked at 09:10:00, delivered at 09:17:12.345, confirmed: 0.5 % of 250,000.
        let happy = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        defer { happy.close() }
        let e1 = try Self.receipt(happy, "e1", "escrow.released")
        #expect(e1.outcome == "confirmed")
        #expect(e1.deliveryLatencyMs == 432_345)
        #expect(e1.onTime == true)
        #expect(e1.disputed == false)
        #expect(e1.fee?.units == 1_250)
        #expect(e1.payer == happy.parties["alice"]?.id)
        #expect(e1.payee == happy.parties["bob"]?.id)
        #expect(e1.amount.units == 250_000)
        // e3 in EURC: 99,999 × 50 / 10,000 = 499.995, rounded down.
        let e3 = try Self.receipt(happy, "e3", "escrow.released")
        #expect(e3.fee?.units == 499)
        #expect(e3.asset.name == "EURC")
        #expect(e3.deliveryLatencyMs == 1_260_500)
        let locked = try Self.receipt(happy, "e2", "escrow.locked")
        #expect(locked.outcome == "locked")
        #expect(locked.deliveryLatencyMs == nil && locked.onTime == nil && locked.fee == nil && locked.disputeId == nil)

        // dispute-opened: e1 delivered 42.5 min after its lock, disputed, then refunded by the payee.
        let dispute = try await ScenarioRunner.start(GoldenFixtures.scenario("dispute-opened"))
        defer { dispute.close() }
        let disputed = try Self.receipt(dispute, "e1", "escrow.disputed")
        #expect(disputed.outcome == "disputed")
        #expect(disputed.disputed == true)
        #expect(disputed.disputeId != nil)
        #expect(disputed.deliveryLatencyMs == 2_550_000)
        #expect(disputed.fee == nil)
        let refunded = try Self.receipt(dispute, "e1", "escrow.refunded")
        #expect(refunded.outcome == "refunded")
        #expect(refunded.disputed == true)
        #expect(refunded.disputeId == nil)
        #expect(refunded.fee == nil)
        let delivered = try Self.receipt(dispute, "e1", "escrow.delivered")
        #expect(delivered.disputed == false, "a receipt says what was true as of its event")
        let early = try Self.receipt(dispute, "e2", "escrow.refunded")
        #expect(early.deliveryLatencyMs == nil && early.onTime == nil && early.disputed == false)
        // Refused steps (a confirm by the payee, a confirm while disputed, a late dispute) left no receipt.
        #expect(dispute.result.receipts.filter { $0.kind == "escrow.released" }.count == 1)

        // expiry-and-auto-release: e2 auto-released; e1 expired undelivered; e3 cancelled.
        let expiry = try await ScenarioRunner.start(GoldenFixtures.scenario("expiry-and-auto-release"))
        defer { expiry.close() }
        let auto = try Self.receipt(expiry, "e2", "escrow.released")
        #expect(auto.outcome == "auto_released")
        #expect(auto.fee?.units == 2_500)
        #expect(auto.deliveryLatencyMs == 1_800_250)
        #expect(auto.at.milliseconds == 1_758_551_760_250)
        let expired = try Self.receipt(expiry, "e1", "escrow.expired")
        #expect(expired.outcome == "expired")
        #expect(expired.deliveryLatencyMs == nil && expired.onTime == nil && expired.fee == nil)
        #expect(try Self.receipt(expiry, "e3", "escrow.cancelled").outcome == "cancelled")
    }

    // MARK: Bundles and proofs

    @Test(
        "a bundle of every receipt, against every checkpoint that holds it, verifies offline",
        arguments: GoldenFixtures.names)
    func everyBundleVerifies(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        var cache = CheckpointCache(verifier: Self.verifier)
        var verified = 0
        for checkpoint in session.allCheckpoints {
            let root = try #require(Base64.decode(checkpoint.rootHash))
            for index in 0..<checkpoint.size {
                let bundle = try await session.service.bundle(index, size: checkpoint.size)
                #expect(bundle["checkpoint"]?.stringValue == checkpoint.note)
                #expect(bundle["receipt"] == (try JSONValue(encoding: session.result.receipts[Int(index)])))
                #expect(
                    ReceiptBundle.verify(bundleJSON: bundle, key: Self.verifier)
                        == .valid(index: index, size: checkpoint.size, root: root))
                #expect(ReceiptBundle.verify(bundleJSON: bundle, cache: &cache).isValid)
                verified += 1
            }
        }
        #expect(verified > 0)
        #expect(cache.signatureChecks == session.allCheckpoints.count, "one signature check per distinct checkpoint")
    }

    @Test(
        "a consistency proof between every pair of the scenario's checkpoints verifies", arguments: GoldenFixtures.names
    )
    func checkpointsAreConsistent(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        let checkpoints = try session.allCheckpoints.map { try openCheckpoint($0, Self.verifier) }
        #expect(checkpoints.count >= 2)
        for old in checkpoints {
            for new in checkpoints where new.size >= old.size {
                let proof = try await session.service.consistency(from: old.size, to: new.size)
                let hashes = try proof.hashes.map { try #require(Base64.decode($0)) }
                #expect(
                    MerkleVerifier.verifyConsistency(
                        oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash,
                        proof: hashes),
                    "\(old.size) → \(new.size)")
                if old.size < new.size {
                    // The same proof does not vouch for another old root.
                    #expect(
                        !MerkleVerifier.verifyConsistency(
                            oldSize: old.size, newSize: new.size, oldRoot: MerkleHash.leaf([0x2A]),
                            newRoot: new.rootHash,
                            proof: hashes))
                }
            }
        }
        // And between every pair of sizes, against roots recomputed naively from the receipts.
        let leaves = session.result.leafHashes.compactMap(Hex.decode)
        for old in 1...leaves.count {
            for new in old...leaves.count {
                let proof = try await session.service.consistency(from: UInt64(old), to: UInt64(new)).hashes.compactMap(
                    Base64.decode)
                #expect(
                    MerkleVerifier.verifyConsistency(
                        oldSize: UInt64(old), newSize: UInt64(new), oldRoot: naiveRoot(leaves.prefix(old)),
                        newRoot: naiveRoot(leaves.prefix(new)), proof: proof),
                    "sizes \(old) → \(new)")
            }
        }
    }

    // MARK: The tree itself

    @Test(
        "the signed root equals a naive recomputation from every receipt's stored leaf bytes",
        arguments: GoldenFixtures.names)
    func rootMatchesNaiveRecomputation(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        let leaves = try await storedReceiptTexts(session.service).map { naiveLeafHash(Array($0.utf8)) }
        #expect(leaves.map { Hex.encode($0) } == session.result.leafHashes)
        for checkpoint in session.allCheckpoints {
            #expect(
                Base64.decode(checkpoint.rootHash) == naiveRoot(leaves.prefix(Int(checkpoint.size))),
                "size \(checkpoint.size)")
        }
        // Every intermediate size too, each freshly signed.
        for size in 1...leaves.count {
            let checkpoint = try await session.service.checkpoint(size: UInt64(size))
            let opened = try openCheckpoint(checkpoint, Self.verifier)
            #expect(opened.rootHash == naiveRoot(leaves.prefix(size)), "size \(size)")
        }
    }

    @Test("replay rebuilds the same receipts, Merkle nodes and signed root", arguments: GoldenFixtures.names)
    func replayRebuildsTheTree(name: String) async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
        defer { session.close() }
        let service = session.service
        let before = try await service.checkpoint()
        let nodesBefore = try await merkleNodeRows(service)
        let textsBefore = try await storedReceiptTexts(service)
        let replay = try await service.replay()
        #expect(replay.before == replay.after)
        #expect(try await merkleNodeRows(service) == nodesBefore)
        #expect(try await storedReceiptTexts(service) == textsBefore)
        #expect(try await service.checkpoint() == before)
        // Forget the stored checkpoints so that the root is computed again from the rebuilt nodes.
        let raw = try SQLiteConnection(path: session.database.path, create: false)
        try raw.execute("PRAGMA busy_timeout = 10000; DELETE FROM checkpoints")
        let recomputed = try await service.checkpoint()
        #expect(recomputed == before, "the same size, root and (deterministic Ed25519) note")
        // The rebuilt tree keeps growing correctly.
        let parties = session.parties.sorted { $0.key < $1.key }.map(\.value)
        let alice = try #require(parties.first { $0.roles.contains(.agent) && !$0.roles.contains(.operator) })
        let payee = try #require(parties.first { $0.roles.contains(.provider) && $0.id != alice.id })
        try await session.database.deposit(party: alice, amount: 10_000)
        _ = try await service.openEscrow(
            OpenEscrowRequest(
                payee: payee.id, amount: try Amount(units: 5_000), asset: try Asset("USDC"),
                deliverBy: session.database.clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: alice), idempotencyKey: nil)
        let grown = try openCheckpoint(try await service.checkpoint(), Self.verifier)
        let leaves = try await storedReceiptTexts(service).map { naiveLeafHash(Array($0.utf8)) }
        #expect(grown.size == before.size + 1)
        #expect(grown.rootHash == naiveRoot(leaves))
    }

    // MARK: Refusals leave nothing behind

    /// Receipts, Merkle nodes and the log head: what a refused command must not change.
    struct Footprint: Equatable {
        var receipts: UInt64
        var nodes: Int
        var head: LogHead

        init(_ service: KuraService) async throws {
            receipts = try await service.receiptCount()
            nodes = try await merkleNodeRows(service).count
            head = try await service.store.head()
        }
    }

    @Test("a refused command leaves no receipt and no Merkle node, and the tree keeps verifying")
    func refusalsLeaveNoTrace() async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        defer { session.close() }
        let service = session.service
        let clock = session.database.clock
        let alice = try #require(session.parties["alice"])
        let bob = try #require(session.parties["bob"])
        let usdc = try Asset("USDC")
        let start = try await service.checkpoint()

        // Refused in `decide`: insufficient funds.
        let before = try await Footprint(service)
        let tooMuch = OpenEscrowRequest(
            payee: bob.id, amount: try Amount(units: 9_000_000), asset: usdc,
            deliverBy: clock.now.adding(milliseconds: 3_600_000))
        let error = await refusal {
            try await service.openEscrow(tooMuch, by: Principal(party: alice), idempotencyKey: nil)
        }
        #expect(error?.code == .insufficientFunds)
        #expect(try await Footprint(service) == before)

        // A good command, then one that fails after its event, receipt and nodes were written: the whole
        // command rolls back, including the receipt log's cached frontier.
        clock.advance(by: 60_000)
        let escrow = try await service.openEscrow(
            OpenEscrowRequest(
                payee: bob.id, amount: try Amount(units: 40_000), asset: usdc,
                deliverBy: clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: alice), idempotencyKey: nil
        ).value
        let afterOpen = try await Footprint(service)
        #expect(afterOpen.receipts == before.receipts + 1)
        let delivered = EscrowEvent.delivered(evidence: ScenarioStep.digest("rolled back"), at: clock.now)
        let failed = await refusal {
            try await service.store.transact { (tx: inout WriteTransaction) throws(KuraError) in
                try tx.append(
                    NewEvent(stream: "escrow/\(escrow.id)", type: delivered.type, payload: delivered.payload),
                    actor: bob.id.rawValue,
                    commandId: "cmd_forced_failure", at: clock.now)
                // Derived in the writer's memory (leaves and nodes are computed when the batch is written).
                let inside = try tx.state.receiptCount()
                throw KuraError(.internalError, "forced failure after the append, with \(inside) receipts written")
            }
        }
        #expect(failed?.code == .internalError)
        #expect(
            failed?.detail.hasSuffix("with \(afterOpen.receipts + 1) receipts written") == true,
            "the receipt was derived inside the command")
        #expect(try await Footprint(service) == afterOpen)

        // The next good command takes the freed index, and everything still verifies.
        clock.advance(by: 60_000)
        _ = try await service.act(
            on: escrow.id, .deliver, body: ["evidence": .string(ScenarioStep.digest("the real delivery"))],
            by: Principal(party: bob),
            idempotencyKey: nil)
        let after = try await Footprint(service)
        #expect(after.receipts == afterOpen.receipts + 1)
        let receipt = try await service.receipt(after.receipts - 1)
        #expect(receipt.kind == "escrow.delivered")
        #expect(receipt.eventSeq == after.head.seq)
        let checkpoint = try await service.checkpoint()
        let leaves = try await storedReceiptTexts(service).map { naiveLeafHash(Array($0.utf8)) }
        #expect(Base64.decode(checkpoint.rootHash) == naiveRoot(leaves))
        for index in 0..<checkpoint.size {
            #expect(
                ReceiptBundle.verify(bundleJSON: try await service.bundle(index), key: Self.verifier).isValid,
                "receipt \(index)")
        }
        let proof = try await service.consistency(from: start.size, to: checkpoint.size).hashes.compactMap(
            Base64.decode)
        #expect(
            MerkleVerifier.verifyConsistency(
                oldSize: start.size, newSize: checkpoint.size, oldRoot: try #require(Base64.decode(start.rootHash)),
                newRoot: try #require(Base64.decode(checkpoint.rootHash)), proof: proof))
    }

    // MARK: Key rotation

    @Test("a new signing key signs new checkpoints under its own name; old checkpoints still verify with the old key")
    func keyRotation() async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        defer { session.close() }
        let oldKey = Self.verifier
        let old = session.result.finalCheckpoint
        let oldBundle = try await session.service.bundle(0)
        session.service.store.close()

        let newSigner = try NoteSigner(name: "test.kura/log-2026", key: TestKeys.secretKey("service-2026"))
        let newKey = newSigner.verifier
        let store = try KuraService.openStore(path: session.database.path, create: false, durable: false)
        defer { store.close() }
        let clock = TestClock(session.database.clock.now.adding(milliseconds: 86_400_000))
        let service = KuraService(
            store: store, signer: newSigner, clock: clock.clock, secrets: .seeded("rotation"),
            logger: Logger.quiet())
        #expect(service.verifierKey == newKey.text)
        #expect(service.verifierKey != oldKey.text)

        let alice = try #require(session.parties["alice"])
        let bob = try #require(session.parties["bob"])
        _ = try await service.openEscrow(
            OpenEscrowRequest(
                payee: bob.id, amount: try Amount(units: 7_000), asset: try Asset("USDC"),
                deliverBy: clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: alice), idempotencyKey: nil)
        let fresh = try await service.checkpoint()
        #expect(fresh.keyName == newSigner.name)
        #expect(fresh.size == old.size + 1)
        #expect(try await service.latestCheckpoint() == fresh)

        // Each note verifies with its own key only, and names the failed check with the other one.
        let newCheckpoint = try Checkpoint.open(note: fresh.note, verifier: newKey)
        let oldCheckpoint = try Checkpoint.open(note: old.note, verifier: oldKey)
        #expect(newCheckpoint.origin == newSigner.name)
        #expect(throws: CheckpointError.self) { try Checkpoint.open(note: fresh.note, verifier: oldKey) }
        do {
            _ = try Checkpoint.open(note: old.note, verifier: newKey)
            Issue.record("the old note opened with the new key")
        } catch {
            #expect(error.reason == .keyName)
        }
        // A bundle made before the rotation still verifies with the old key alone.
        #expect(ReceiptBundle.verify(bundleJSON: oldBundle, key: oldKey).isValid)
        #expect(ReceiptBundle.verify(bundleJSON: oldBundle, key: newKey).failedCheck == .keyName)
        // New bundles verify with the new key.
        let newBundle = try await service.bundle(0)
        #expect(ReceiptBundle.verify(bundleJSON: newBundle, key: newKey).isValid)

        // The log signed by the new key extends the one signed by the old key.
        let proof = try await service.consistency(from: old.size, to: fresh.size).hashes.compactMap(Base64.decode)
        #expect(
            MerkleVerifier.verifyConsistency(
                oldSize: oldCheckpoint.size, newSize: newCheckpoint.size, oldRoot: oldCheckpoint.rootHash,
                newRoot: newCheckpoint.rootHash, proof: proof))
        // Between the old key's checkpoints from the scenario and the new one, too.
        for earlier in session.result.checkpoints {
            let opened = try openCheckpoint(earlier, oldKey)
            let hashes = try await service.consistency(from: opened.size, to: fresh.size).hashes.compactMap(
                Base64.decode)
            #expect(
                MerkleVerifier.verifyConsistency(
                    oldSize: opened.size, newSize: newCheckpoint.size, oldRoot: opened.rootHash,
                    newRoot: newCheckpoint.rootHash,
                    proof: hashes))
        }
    }
}
