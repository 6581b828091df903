import KuraCore
import KuraService
import KuraStore
import KuraTesting
import Testing

/// Issue 14, finding 3: `GET /v1/receipts?kind=…` scanned every receipt. Each public filter of the list
/// is now served by an index, read in `idx` order and cut at the page size.
@Suite("the receipt list's query plans")
struct ReceiptQueryPlanTests {
    /// SQLite's plan for `sql`: one line per step (`SCAN …`, `SEARCH … USING INDEX …`, `USE TEMP B-TREE …`).
    static func plan(_ sql: String, _ path: String) throws -> [String] {
        let db = try SQLiteConnection(path: path, create: false, readOnly: true)
        let statement = try db.statement("EXPLAIN QUERY PLAN " + sql)
        try statement.bind([])
        return try statement.rows { row throws(KuraError) in row.text(3) }
    }

    @Test(
        "no filter shape scans the receipts table or sorts a party's whole history",
        arguments: [(false, false), (false, true), (true, false), (true, true)])
    func plans(party: Bool, kind: Bool) async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let sql = SQLReadSession.receiptPageSQL(party: party, kind: kind)
        let steps = try Self.plan(sql, world.db.path)
        let onReceipts = steps.filter { $0.contains("receipts") || $0.contains(" r ") || $0.hasSuffix(" r") }
        #expect(!onReceipts.isEmpty, "\(steps)")
        for step in onReceipts {
            // A SEARCH through an index (or the primary key) reads only the rows it needs; a SCAN of the
            // table or of one of its indexes reads them all.
            #expect(step.hasPrefix("SEARCH"), "\(sql): \(steps)")
        }
        if kind && !party { #expect(steps.contains { $0.contains("receipts_by_kind") }, "\(steps)") }
        if party && kind {
            #expect(steps.contains { $0.contains("receipts_by_payer_kind") }, "\(steps)")
            #expect(steps.contains { $0.contains("receipts_by_payee_kind") }, "\(steps)")
        }
        // No sort, except (for a party) of the union of its two pages, each cut at the limit.
        if !party { #expect(!steps.contains { $0.contains("TEMP B-TREE") }, "\(steps)") }
    }

    @Test("the queries answer what the list promises: log order, party as payer or payee, kind, cursor")
    func answers() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let a = try await world.open(amount: 100)
        try await world.act(.deliver, on: a.id, by: world.payee)
        try await world.act(.confirm, on: a.id, by: world.payer)
        _ = try await world.open(amount: 50)
        let service = world.service
        let all = try await service.receipts(party: nil, kind: nil, cursor: nil, limit: 10).items
        #expect(all.map(\.index) == [0, 1, 2, 3])
        let locked = try await service.receipts(party: nil, kind: "escrow.locked", cursor: nil, limit: 10).items
        #expect(locked.map(\.index) == [0, 3])
        let payees = try await service.receipts(party: world.payee.id, kind: nil, cursor: nil, limit: 2)
        #expect(payees.items.map(\.index) == [0, 1] && payees.nextCursor == "1")
        let rest = try await service.receipts(party: world.payee.id, kind: nil, cursor: payees.nextCursor, limit: 2)
        #expect(rest.items.map(\.index) == [2, 3] && rest.nextCursor == nil)
        let payerLocked = try await service.receipts(
            party: world.payer.id, kind: "escrow.locked", cursor: "0", limit: 5)
        #expect(payerLocked.items.map(\.index) == [3])
        #expect(try await service.receipts(party: world.stranger.id, kind: nil, cursor: nil, limit: 5).items.isEmpty)
    }
}
