import Foundation
import KuraCore
import KuraService
import KuraStore
import KuraTesting
import Testing

/// Issue 15: the sweeper ran its commands one at a time, each in a durable commit of its own, so a backlog of
/// due escrows drained at about one fsync per escrow (2,274/s in release, `scripts/bench-sweep.sh`), slower
/// than the escrows fall due when they are opened at the writer's rate.
@Suite("the sweeper shares durable commits")
struct SweepBatchingTests {
    /// Counts the writer's committed batches.
    final class Batches: StoreObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var committed: [Int] = []
        func batchCommitted(commands: Int, events: Int, seconds: Double) {
            lock.withLock { committed.append(commands) }
        }
        func batchFailed(commands: Int, code: KuraError.Code) {}
        func queueDepth(_ depth: Int) {}
        var count: Int { lock.withLock { committed.count } }
    }

    @Test("150 due escrows expire in three commits of up to 64 commands, in the order they fell due")
    func groupsOfCommands() async throws {
        let batches = Batches()
        let db = try await TestDatabase(label: "sweep-batching", observer: batches)
        defer { db.close() }
        let payer = try await db.register(name: "payer", roles: [.agent]).party
        let payee = try await db.register(name: "payee", roles: [.provider]).party
        try await db.deposit(party: payer, amount: 1_000_000)
        // Opened in the reverse of the order they fall due in: the log must follow the due order.
        var opened: [(id: EscrowID, due: Int64)] = []
        for n in 0..<150 {
            let due = Int64(1_000 + 150 - n)
            let request = OpenEscrowRequest(
                payee: payee.id, amount: try Amount(units: 100), asset: try Asset("USDC"),
                deliverBy: db.clock.now.adding(milliseconds: due))
            let escrow = try await db.service.openEscrow(request, by: db.principal(payer), idempotencyKey: nil).value
            opened.append((escrow.id, due))
        }
        db.clock.advance(by: 2_000)
        let before = batches.count
        let head = try await db.store.head().seq
        let report = try await db.service.sweep()
        let dueOrder = opened.sorted { $0.due < $1.due }.map(\.id)
        #expect(report.expired == dueOrder)
        // 64 + 64 + 22: one commit per group of the sweeper (there was one per escrow).
        #expect(batches.count - before == 3)
        let expired = try await db.store.events(after: head, limit: 1_000).filter { $0.type == "escrow.expired" }
        #expect(expired.map { $0.stream } == dueOrder.map { "escrow/\($0)" })
        #expect(try await db.service.sweep() == SweepReport())
        let account = try await db.service.account(payer.id, by: db.principal(payer))
        #expect(account.balances.first?.available == 1_000_000)
    }

    /// The review of the sweeper's groups: items due at the same instant came in an order the database chose
    /// (SQLite put the delivered escrows before the locked ones; PostgreSQL need not), so the same commands could
    /// give two logs. They are now taken in the order they were opened (`seq`).
    @Test("items due at the same instant are swept in the order they were opened, whatever their state")
    func tiesInOpeningOrder() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        // Due at the same instant: the first a moment past its delivery deadline, the second at the end of its
        // confirm window.
        let locked = try await world.open(amount: 100, deliverIn: 4_999)
        let delivered = try await world.open(
            amount: 100, deliverIn: 3_600_000, confirmWindowMs: 5_000, disputeWindowMs: 5_000)
        try await world.act(.deliver, on: delivered.id, by: world.payee)
        world.db.clock.advance(by: 6_000)
        let head = try await world.db.store.head().seq
        let report = try await world.service.sweep()
        #expect(report.expired == [locked.id] && report.released == [delivered.id])
        let swept = try await world.db.store.events(after: head, limit: 100).map(\.stream)
        #expect(swept == ["escrow/\(locked.id)", "escrow/\(delivered.id)"])
    }
}
