import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

/// Issue 14, finding 5: a payer must not be able to choose its arbiters. The dispute ID comes from the
/// payer's own request body and the next sequence number, both of which the payer knows; a draw that
/// depends on nothing else can be searched offline for a body that seats a friend. The draw is seeded with
/// Kura's deterministic Ed25519 signature over the dispute ID and round instead: nobody without Kura's key
/// can predict it, and anyone with Kura's public key can check it afterwards from the log.
@Suite("panel draws: unpredictable for the payer, checkable by anyone")
struct PanelDrawTests {
    static let arbiterNames = ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"]

    struct World {
        let db: TestDatabase
        let payer: Party
        let payee: Party
        let arbiters: [Party]
        var service: KuraService { db.service }
    }

    func world() async throws -> World {
        let db = try await TestDatabase(label: "panel")
        let payer = try await db.register(name: "payer", roles: [.agent]).party
        let payee = try await db.register(name: "payee", roles: [.provider]).party
        var arbiters: [Party] = []
        for name in Self.arbiterNames { arbiters.append(try await db.register(name: name, roles: [.arbiter]).party) }
        _ = try await db.deposit(party: payer, amount: 1_000_000)
        return World(db: db, payer: payer, payee: payee, arbiters: arbiters)
    }

    /// An escrow of 1 000 units (a one-seat panel), delivered.
    func delivered(_ w: World) async throws -> EscrowID {
        let escrow = try await w.service.openEscrow(
            OpenEscrowRequest(
                payee: w.payee.id, amount: try Amount(units: 1_000), asset: usdc,
                deliverBy: w.db.clock.now.adding(milliseconds: 3_600_000)),
            by: w.db.principal(w.payer), idempotencyKey: nil
        ).value
        _ = try await w.service.act(
            on: escrow.id, .deliver, body: ["evidence": .string(digest("done"))], by: w.db.principal(w.payee),
            idempotencyKey: nil)
        return escrow.id
    }

    /// The draw as it was published before this fix (Docs/disputes.md, `kura-panel-v1`), written out here:
    /// everything in it is known to the payer before it sends its request.
    static func publicRank(_ arbiter: PartyID, _ dispute: DisputeID) -> [UInt8] {
        SHA256.hash(Array("kura-panel-v1\n\(dispute.rawValue)\n1\n\(arbiter.rawValue)".utf8))
    }

    @Test("a payer who predicts its dispute ID and searches reasons offline does not seat its friend every time")
    func payerCannotChoose() async throws {
        let w = try await world()
        defer { w.db.close() }
        let friend = w.arbiters[5].id
        let candidates = w.arbiters.map(\.id)
        var seated = 0
        let attempts = 6
        for attempt in 0..<attempts {
            let escrow = try await delivered(w)
            // The payer knows everything the dispute ID is made of: its own body, and the next seq.
            let seq = try await w.db.store.head().seq + 1
            var chosen: JSONValue?
            for n in 0..<2_000 {
                let body: JSONValue = ["reason": .string("late, attempt \(attempt).\(n)")]
                let command: JSONValue = [
                    "op": "escrow.dispute",
                    "request": ["escrow": .string(escrow.rawValue), "action": "dispute", "body": body],
                ]
                let predicted = DisputeID.derive(command: command, seq: seq)
                let first = candidates.min {
                    Self.publicRank($0, predicted).lexicographicallyPrecedes(Self.publicRank($1, predicted))
                }
                if first == friend {
                    chosen = body
                    break
                }
            }
            let body = try #require(chosen, "no reason found that seats the friend")
            let disputed = try await w.service.act(
                on: escrow, .dispute, body: body, by: w.db.principal(w.payer), idempotencyKey: nil
            ).value
            let dispute = try await w.service.dispute(try #require(disputed.disputeId), by: w.db.principal(w.payer))
            if dispute.dispute.panel == [friend] { seated += 1 }
        }
        // By chance the friend sits one time in eight; six out of six would be the search working.
        #expect(seated < attempts, "the payer seated its friend \(seated) times out of \(attempts)")
    }

    /// The active arbiters as of `seq`, rebuilt from the log's party events alone, as a third party would.
    static func arbiters(before seq: UInt64, in events: [Event]) throws -> [PartyID] {
        var status: [String: (arbiter: Bool, active: Bool)] = [:]
        for event in events where event.seq < seq && event.type.hasPrefix("party.") {
            let id = String(event.stream.dropFirst("party/".count))
            switch event.type {
            case "party.registered":
                let roles = event.payload["party"]?["roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
                status[id] = (roles.contains("arbiter"), event.payload["party"]?["status"]?.stringValue == "active")
            case "party.status_changed":
                status[id]?.active = event.payload["to"]?.stringValue == "active"
            default: break
            }
        }
        return try status.filter { $0.value.arbiter && $0.value.active }.keys.map { try PartyID(validating: $0) }
    }

    /// A third party's check of a first-round draw with Kura's public key and the log, following
    /// Docs/disputes.md and written out here: the seed is Kura's signature over
    /// `kura-panel-seed-v1 LF disputeId LF round`; each eligible arbiter is ranked by
    /// `SHA-256("kura-panel-v2" LF base64(seed) LF arbiterId)`; the lowest hashes sit.
    static func thirdPartyCheck(_ opened: JSONValue, candidates: [PartyID], key: Ed25519.PublicKey) -> Bool {
        guard let dispute = opened["disputeId"]?.stringValue, let seedText = opened["panelSeed"]?.stringValue,
            let seed = Base64.decode(seedText), let payer = opened["payer"]?.stringValue,
            let payee = opened["payee"]?.stringValue,
            let panel = opened["panel"]?.arrayValue?.compactMap(\.stringValue)
        else { return false }
        guard key.isValidSignature(seed, for: Array("kura-panel-seed-v1\n\(dispute)\n1".utf8)) else { return false }
        let ranked = candidates.map(\.rawValue).filter { $0 != payer && $0 != payee }
            .map { (SHA256.hash(Array("kura-panel-v2\n\(seedText)\n\($0)".utf8)), $0) }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
        return Array(ranked.prefix(panel.count)) == panel && !panel.isEmpty
    }

    @Test("anyone holding Kura's public key and the log re-draws the panel; a forged seed fails the check")
    func thirdPartyChecksTheDraw() async throws {
        let w = try await world()
        defer { w.db.close() }
        let escrow = try await delivered(w)
        _ = try await w.service.act(
            on: escrow, .dispute, body: ["reason": "never arrived"], by: w.db.principal(w.payer), idempotencyKey: nil)
        let events = try await w.db.store.events(after: 0, limit: 10_000)
        let opened = try #require(events.first { $0.type == "dispute.opened" })
        let candidates = try Self.arbiters(before: opened.seq, in: events)
        #expect(candidates.count == Self.arbiterNames.count)
        let kura = TestKeys.serviceSigner.key.publicKey
        #expect(Self.thirdPartyCheck(opened.payload, candidates: candidates, key: kura))

        // A seed anyone else signed, or any other bytes, does not pass for Kura's.
        guard case .object(var forged) = opened.payload else { Issue.record("payload is not an object"); return }
        let message = Array("kura-panel-seed-v1\n\(opened.payload["disputeId"]?.stringValue ?? "")\n1".utf8)
        forged["panelSeed"] = .string(Base64.encode(TestKeys.secretKey("payer").signature(for: message)))
        #expect(!Self.thirdPartyCheck(.object(forged), candidates: candidates, key: kura))
        forged["panelSeed"] = .string(Base64.encode([UInt8](repeating: 7, count: 64)))
        #expect(!Self.thirdPartyCheck(.object(forged), candidates: candidates, key: kura))
        // Nor does a genuine seed with a panel it did not draw.
        guard case .object(var swapped) = opened.payload else { return }
        let other = candidates.first { !(opened.payload["panel"]?.arrayValue ?? []).contains(.string($0.rawValue)) }
        swapped["panel"] = [.string(try #require(other).rawValue)]
        #expect(!Self.thirdPartyCheck(.object(swapped), candidates: candidates, key: kura))
    }
    /// Review finding: the writer loaded its list of active arbiters from the rows as of the batch's start, so
    /// a party changed earlier in the batch that first drew a panel was drawn as it had been (a suspended
    /// arbiter seated), and the list stayed wrong after the batch.
    @Test("the panel drawn in the batch that suspends every arbiter but one seats that one")
    func arbitersChangedEarlierInTheBatch() async throws {
        let w = try await world()
        defer { w.db.close() }
        let escrow = try await delivered(w)
        let store = w.db.store
        let gate = SolanaBatchTests.Gate()
        let held = Task { try await store.transact { (_: inout WriteTransaction) throws(KuraError) in gate.hold() } }
        while !gate.entered { try await Task.sleep(for: .milliseconds(1)) }
        // Queued one after another behind the held batch, so the next batch runs them in this order.
        var queued: [Task<Void, any Error>] = []
        func queue(_ command: @escaping @Sendable () async throws -> Void) async throws {
            let before = store.writesQueued
            queued.append(Task { try await command() })
            while store.writesQueued == before { try await Task.sleep(for: .milliseconds(1)) }
        }
        let service = w.service
        let operatorPrincipal = w.db.operatorPrincipal
        for arbiter in w.arbiters.dropFirst() {
            try await queue {
                _ = try await service.changeStatus(
                    of: arbiter.id, .suspend, by: operatorPrincipal, idempotencyKey: nil)
            }
        }
        let payer = w.db.principal(w.payer)
        try await queue {
            _ = try await service.act(
                on: escrow, .dispute, body: ["reason": "never arrived"], by: payer, idempotencyKey: nil)
        }
        gate.release()
        try await held.value
        for task in queued { try await task.value }
        let events = try await store.events(after: 0, limit: 10_000)
        let opened = try #require(events.first { $0.type == "dispute.opened" })
        #expect(opened.payload["panel"] == [.string(w.arbiters[0].id.rawValue)])
        #expect(try await service.writerStateDifferences().isEmpty)
    }
}
