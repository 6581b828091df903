import KuraCore
import KuraStore
import KuraTesting
import Testing

@testable import KuraService

/// Each connection caches its prepared statements by their SQL text. A page size written into that text
/// (`LIMIT 21`) made one statement per page size and filter shape, kept for the connection's life: an
/// anonymous caller stepping `GET /v1/receipts?limit=` through 1…1000 left thousands of statements on every
/// read connection. The page size is bound as a parameter (``SQLReadSession``'s list queries), so the cache
/// holds one statement per shape.
@Suite("the statement cache does not grow with the page size a caller asks for")
struct StatementCacheTests {
    /// The statement bytes of every reader lane's connection, smallest first.
    static func readerStatementBytes(_ backend: SQLiteBackend) async throws -> [Int] {
        try await backend.everyReaderConnection { connection throws(KuraError) -> Int in connection.statementBytes }
            .sorted()
    }

    /// One page of every list whose size the caller chooses, in every shape, on every reader connection
    /// directly, with the lookups the list routes make beside them: which reader of a lane serves a request is
    /// not fixed, so each must have prepared them all before the figures are taken.
    static func listOnEveryReader(_ backend: SQLiteBackend, _ world: EscrowWorld, limit: Int) async throws {
        let (payer, payee) = (world.payer.id, world.payee.id)
        _ = try await backend.everyReaderConnection { connection throws(KuraError) -> Int in
            let reads = SQLReadSession(connection)
            // What the list routes read besides the page (the caller's roles).
            _ = try reads.party(payer)
            for party in [nil, payee] {
                for kind in [nil, "escrow.locked"] {
                    _ = try reads.receipts(after: -1, party: party, kind: kind, limit: limit + 1)
                }
            }
            for state in [nil, Escrow.State.locked] {
                _ = try reads.escrows(party: payer, state: state, beforeSeq: .max, limit: limit + 1)
            }
            for (member, seated) in [(nil, false), (payer, false), (payer, true)] as [(PartyID?, Bool)] {
                for state in [nil, Dispute.State.deliberating] {
                    _ = try reads.disputes(
                        member: member, seatedOnly: seated, state: state, beforeSeq: .max, limit: limit + 1)
                }
            }
            return 0
        }
    }

    /// One page of every list whose size the caller chooses, through the service: receipts in each filter
    /// shape, escrows, disputes.
    static func listThroughService(_ world: EscrowWorld, limit: Int) async throws {
        let service = world.service
        for party in [nil, world.payee.id] {
            for kind in [nil, "escrow.locked"] {
                _ = try await service.receipts(party: party, kind: kind, cursor: nil, limit: limit)
            }
        }
        let payer = world.db.principal(world.payer)
        _ = try await service.escrows(party: nil, state: nil, cursor: nil, limit: limit, by: payer)
        _ = try await service.escrows(party: nil, state: .locked, cursor: nil, limit: limit, by: payer)
        _ = try await service.disputes(mine: false, state: nil, cursor: nil, limit: limit, by: payer)
        _ = try await service.disputes(mine: true, state: .deliberating, cursor: nil, limit: limit, by: payer)
    }

    @Test("pages of 1 to 300 items leave every read connection's prepared statements as pages of 1 and 2 did")
    func pageSizes() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        _ = try await world.open(amount: 100)
        let backend = try #require(world.service.store.backend as? SQLiteBackend)
        // Every shape prepared once on every reader (pages of 1 and 2).
        for limit in 1...2 {
            try await Self.listOnEveryReader(backend, world, limit: limit)
            try await Self.listThroughService(world, limit: limit)
        }
        let before = try await Self.readerStatementBytes(backend)
        #expect(before.allSatisfy { $0 > 0 }, "\(before)")
        for limit in 3...300 {
            try await Self.listOnEveryReader(backend, world, limit: limit)
            try await Self.listThroughService(world, limit: limit)
        }
        let after = try await Self.readerStatementBytes(backend)
        #expect(after == before, "statement bytes per reader: \(before) → \(after)")
        // The page size still cuts the page.
        let one = try await world.service.receipts(party: nil, kind: nil, cursor: nil, limit: 1)
        #expect(one.items.count == 1 && one.nextCursor == nil)
    }
}
