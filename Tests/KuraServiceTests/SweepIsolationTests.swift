import KuraCore
import KuraService
import KuraStore
import KuraTesting
import Testing

/// Issue 14, finding 9: one failing item aborted the sweeper's whole tick.
@Suite("the sweeper isolates its items")
struct SweepIsolationTests {
    @Test("an item that fails is logged and skipped; the rest of the tick is applied, and it is retried next tick")
    func oneBadItem() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let first = try await world.open(amount: 100, deliverIn: 1_000)
        let second = try await world.open(amount: 200, deliverIn: 1_000)
        // A due row its stream cannot explain (no events): deciding it fails with not_found. It is due
        // first, so before the fix the whole tick stopped there.
        let orphan = "esc_2p8fVYk6nZ1q"
        let payer = world.payer.id.rawValue
        let payee = world.payee.id.rawValue
        // Written beside Kura, as a damaged file would hold it: the writer reads it on its first look.
        let raw = try SQLiteConnection(path: world.db.path, create: false)
        try raw.execute("PRAGMA busy_timeout = 10000")
        try raw.run(
            "INSERT INTO escrows(id, seq, payer, payee, state, asset, amount, due_at, json) VALUES (?, 0, ?, ?, 'locked', 'USDC', 1, 0, '{}')",
            .text(orphan), .text(payer), .text(payee))
        world.db.clock.advance(by: 2_000)
        let report = try await world.service.sweep()
        #expect(Set(report.expired) == [first.id, second.id])
        #expect(try await world.escrow(first.id).state == .expired)
        #expect(try await world.escrow(second.id).state == .expired)
        #expect(try await world.balance(world.payer).available == 1_000_000)

        // Next tick: the bad item is tried again (still failing), and the tick still completes.
        let again = try await world.service.sweep()
        #expect(again == SweepReport())
    }

    /// The review of the sweeper's groups (issue 15): a failure of a whole batch (a row it cannot write) failed
    /// every command of the group with it, and the same group every tick.
    @Test("a batch that fails fails no item for good: its items are tried again one at a time, in the same tick")
    func failedBatchRetriedAlone() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        var opened: [EscrowID] = []
        for n in 0..<3 { opened.append(try await world.open(amount: 100, deliverIn: 1_000 + Int64(n)).id) }
        // A receipt row written beside Kura where the writer puts its next receipt: the first batch to write a
        // receipt fails on the row's key, and the writer, starting over, reads the tree as it now stands.
        let next = try await world.service.receiptCount()
        let raw = try SQLiteConnection(path: world.db.path, create: false)
        try raw.execute("PRAGMA busy_timeout = 10000")
        try raw.run(
            "INSERT INTO receipts(idx, seq, kind, subject, payer, payee, json) VALUES (?, 0, 'escrow.expired', ?, ?, ?, '{}')",
            .integer(Int64(next)), .text(opened[0].rawValue), .text(world.payer.id.rawValue),
            .text(world.payee.id.rawValue))
        world.db.clock.advance(by: 2_000)
        let report = try await world.service.sweep()
        #expect(report.expired == opened)
        for id in opened { #expect(try await world.escrow(id).state == .expired) }
        #expect(try await world.balance(world.payer).available == 1_000_000)
        #expect(try await world.service.sweep() == SweepReport())
    }
}
