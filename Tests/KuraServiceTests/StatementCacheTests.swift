import KuraCore
import KuraStore
import KuraTesting
import Testing

@testable import KuraService

/// Each connection caches its prepared statements by their SQL text. A page size written into that text
/// (`LIMIT 21`) made one statement per page size and filter shape, kept for the connection's life: an
/// anonymous caller stepping `GET /v1/receipts?limit=` through 1…1000 left thousands of statements on every
/// read connection. The page size is bound as a parameter now, so the cache holds one statement per shape.
@Suite("the statement cache does not grow with the page size a caller asks for")
struct StatementCacheTests {
    /// The statement bytes of every read connection, each held at once by nesting the reads.
    static func readerStatementBytes(_ store: SQLiteEventStore, readers: Int = 4) throws -> [Int] {
        func nested(_ depth: Int) throws(KuraError) -> [Int] {
            guard depth > 0 else { return [] }
            return try store.read { db throws(KuraError) in [db.statementBytes] + (try nested(depth - 1)) }
        }
        return try nested(readers)
    }

    /// One page of every list whose size the caller chooses: receipts in each filter shape, escrows, disputes.
    static func listEverything(_ world: EscrowWorld, limit: Int) throws {
        let service = world.service
        for party in [nil, world.payee.id] {
            for kind in [nil, "escrow.locked"] {
                _ = try service.receipts(party: party, kind: kind, cursor: nil, limit: limit)
            }
        }
        let payer = world.db.principal(world.payer)
        _ = try service.escrows(party: nil, state: nil, cursor: nil, limit: limit, by: payer)
        _ = try service.escrows(party: nil, state: .locked, cursor: nil, limit: limit, by: payer)
        _ = try service.disputes(mine: false, state: nil, cursor: nil, limit: limit, by: payer)
        _ = try service.disputes(mine: true, state: .deliberating, cursor: nil, limit: limit, by: payer)
    }

    @Test("pages of 1 to 300 items leave every read connection's prepared statements as pages of 1 and 2 did")
    func pageSizes() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        _ = try await world.open(amount: 100)
        // Every shape prepared once (pages of 1 and 2, on whichever connections serve them).
        for limit in 1...2 { try Self.listEverything(world, limit: limit) }
        let before = try Self.readerStatementBytes(world.service.store)
        for limit in 3...300 { try Self.listEverything(world, limit: limit) }
        let after = try Self.readerStatementBytes(world.service.store)
        #expect(after.reduce(0, +) == before.reduce(0, +), "statement bytes per reader: \(before) → \(after)")
        // The page size still cuts the page.
        let one = try world.service.receipts(party: nil, kind: nil, cursor: nil, limit: 1)
        #expect(one.items.count == 1 && one.nextCursor == nil)
    }
}
