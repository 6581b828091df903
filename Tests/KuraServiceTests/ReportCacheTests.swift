import KuraCore
import KuraTesting
import Testing

@testable import KuraService

/// The soak of Docs/reliability.md: the cache of canonical reputation reports kept every report it had
/// answered, keyed by party and tree, until 8,192 of them; a request reads the current tree, so every entry
/// of an older tree was dead weight that grew with each receipt for half an hour. It keeps one tree now.
@Suite("the reputation report cache holds the current tree only")
struct ReportCacheTests {
    @Test("a report read after each of 30 receipts leaves one entry; a read at the same tree is a hit")
    func currentTreeOnly() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let service = world.service
        var previous: [UInt8] = []
        for _ in 0..<30 {
            _ = try await world.open(amount: 10)
            let bytes = try await service.reputationBytes(of: world.payee.id)
            #expect(bytes == (try await service.reputation(of: world.payee.id).canonicalBytes()))
            #expect(bytes != previous)
            previous = bytes
        }
        #expect(service.reportBytes.count == 1)
        // Another party at the same tree joins it; the same party again is served from it.
        _ = try await service.reputationBytes(of: world.payer.id)
        #expect(service.reportBytes.count == 2)
        #expect(try await service.reputationBytes(of: world.payee.id) == previous)
        #expect(service.reportBytes.count == 2)
    }
}
