import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

/// Issue 14, finding 4: unauthenticated callers could make Kura write (a checkpoint stored per new bundle
/// size; `GET /v1/log/checkpoint` through the writer queue on every call). Public reads now serve issued
/// checkpoints only.
@Suite("public reads never write")
struct PublicReadTests {
    /// The number of rows of every table in the file, by table.
    static func rowCounts(_ path: String) throws -> [String: Int64] {
        do {
            let db = try SQLiteConnection(path: path, create: false, readOnly: true)
            let statement = try db.statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            try statement.bind([])
            let tables = try statement.rows { row throws(KuraError) in row.text(0) }
            var counts: [String: Int64] = [:]
            for table in tables {
                counts[table] = try db.scalar("SELECT count(*) FROM \"\(table)\"")?.int64 ?? -1
            }
            return counts
        }
    }

    @Test("every unauthenticated GET of a public route adds no row and never enters the writer queue")
    func noWrites() async throws {
        let fixture = try await HTTPFixture(label: "public-no-writes")
        try await fixture.quietTest { api in
            let flow = try await ReceiptFlow.phaseOne(api)
            // One checkpoint issued, as the checkpointer would (size 3).
            let issued = try #require(try await fixture.service.checkpointIfGrown())
            #expect(issued.size == 3)
            let rows = try Self.rowCounts(fixture.db.path)
            let queued = fixture.db.store.writesQueued

            let reads = [
                "/healthz", "/v1/receipts", "/v1/receipts?kind=escrow.locked", "/v1/receipts?party=\(flow.payer)",
                "/v1/receipts/0", "/v1/receipts/0/bundle", "/v1/receipts/2/bundle", "/v1/receipts/0/bundle?size=1",
                "/v1/receipts/0/bundle?size=2", "/v1/receipts/1/bundle?size=3", "/v1/log/checkpoint",
                "/v1/log/consistency?from=1&to=3", "/v1/log/key", "/.well-known/jwks.json",
                "/v1/reputation/\(flow.payer)", "/v1/reputation/\(flow.payer)?asOf=2",
                "/v1/reputation?ids=\(flow.payer),\(flow.payee)", "/v1/reputation/\(flow.payee)/attestation",
                "/v1/reputation/\(flow.payee)/attestation?asOf=3", "/v1/reputation/\(flow.payee)/attestation?asOf=2",
                "/v1/parties/\(flow.payee)/passport", "/facilitator/supported",
            ]
            var statuses: [String: Int] = [:]
            for uri in reads {
                statuses[uri] = Int(try await api.send(.get, uri).status.code)
            }
            #expect(fixture.db.store.writesQueued == queued, "a public GET entered the writer queue")
            #expect(try Self.rowCounts(fixture.db.path) == rows, "a public GET added rows")

            // What they answered: issued checkpoints are served, sizes never issued are 404.
            #expect(statuses["/v1/receipts/0/bundle"] == 200 && statuses["/v1/receipts/1/bundle?size=3"] == 200)
            #expect(statuses["/v1/receipts/0/bundle?size=1"] == 404 && statuses["/v1/receipts/0/bundle?size=2"] == 404)
            #expect(statuses["/v1/log/checkpoint"] == 200)
            #expect(statuses["/v1/reputation/\(flow.payee)/attestation"] == 200)
            #expect(statuses["/v1/reputation/\(flow.payee)/attestation?asOf=3"] == 200)
            #expect(statuses["/v1/reputation/\(flow.payee)/attestation?asOf=2"] == 404)
            #expect(try await fixture.service.latestCheckpoint() == issued)
        }
    }

    @Test("a receipt newer than every issued checkpoint: 503 checkpoint_pending with Retry-After, nothing signed")
    func pendingWithoutCheckpointer() async throws {
        let fixture = try await HTTPFixture(label: "public-pending")
        try await fixture.quietTest { api in
            var flow = try await ReceiptFlow.phaseOne(api)
            let none = try await api.send(.get, "/v1/log/checkpoint")
            #expect(none.status == .serviceUnavailable && none.code == "checkpoint_pending", "\(none)")
            #expect(none.headers[.retryAfter] == "1")
            _ = try await fixture.service.checkpointIfGrown()
            try await flow.phaseTwo(api)
            // Receipt 4 is not in the issued tree of 3; no checkpointer runs, so it stays pending.
            let pending = try await api.send(.get, "/v1/receipts/4/bundle")
            #expect(pending.status == .serviceUnavailable && pending.code == "checkpoint_pending", "\(pending)")
            // The newest issued checkpoint is still served, and nothing was signed for the reads.
            let served = try await api.send(.get, "/v1/log/checkpoint")
            #expect(served.status == .ok && served.text.contains("\n3\n"))
            #expect(try await fixture.service.latestCheckpoint()?.size == 3)
        }
    }

    @Test(
        "with the checkpointer running, the empty log has a checkpoint and a fresh receipt's bundle waits for the next")
    func waitsForTheCheckpointer() async throws {
        let fixture = try await HTTPFixture(label: "public-wait")
        try await fixture.server(checkpointIntervalMs: 100).makeApplication().test(.router) { client in
            let api = APIClient(client: client, fixture: fixture)
            // A new log: the checkpointer signs the empty tree at its start, and the route serves it. (Waited for:
            // under a loaded machine the checkpointer's first pass can take longer than the route's short wait.)
            var polls = 0
            while try await fixture.service.latestCheckpoint() == nil, polls < 250 {
                try await Task.sleep(for: .milliseconds(20))
                polls += 1
            }
            let empty = try await api.send(.get, "/v1/log/checkpoint")
            #expect(empty.status == .ok && empty.text.contains("\n0\n"), "\(empty)")
            var flow = try await ReceiptFlow.phaseOne(api)
            try await flow.phaseTwo(api)
            // The route waits up to two checkpoint intervals; a client retries after a 503 checkpoint_pending (a
            // loaded machine can make the checkpointer slower than that).
            var answer = try await api.send(.get, "/v1/receipts/5/bundle")
            for _ in 0..<50 where answer.status == .serviceUnavailable && answer.code == "checkpoint_pending" {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await api.send(.get, "/v1/receipts/5/bundle")
            }
            #expect(answer.status == .ok, "\(answer)")
            let verdict = ReceiptBundle.verify(bundleJSON: answer.json, key: try await api.verifier())
            #expect(verdict.isValid, "\(verdict)")
            #expect(answer.json["proof"]?["treeSize"]?.uint64Value == 6)
        }
    }
}
