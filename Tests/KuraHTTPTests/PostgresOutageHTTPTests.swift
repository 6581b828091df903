import Foundation
import KuraCore
import KuraStore
import KuraTesting
import Testing

/// The database server stopping under a running service (issue 16): every request that needs it is answered
/// `503 storage_unavailable` with a problem document and a retry hint, nothing is written in part, and the same
/// service (the writer thread and the readers, not restarted) serves again by itself once the server is back.
@Suite("PostgreSQL outage over HTTP")
struct PostgresOutageHTTPTests {
    @Test("503 storage_unavailable while PostgreSQL is down; the writer and readers recover by themselves")
    func outage() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.stop() }
        let fixture = try await HTTPFixture(label: "pg-outage", backend: try cluster.backendDatabase())
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 10_000)
            let body = api.openBody(payee: payee.id, amount: 2_500)
            let before = try await fixture.seq()

            try cluster.halt()
            // The writer's session and the readers' sessions were ended by the server.
            for _ in 0..<2 {
                let write = try await api.send(
                    .post, "/v1/escrows", as: .bearer(payer.apiKey), json: body, idempotencyKey: "order-1")
                #expect(write.status == .serviceUnavailable && write.code == "storage_unavailable", "\(write)")
                #expect(write.contentType == "application/problem+json")
                #expect(write.headers[.retryAfter] == "1")
                let read = try await api.send(.get, "/v1/accounts/\(payer.id)", as: .bearer(payer.apiKey))
                #expect(read.status == .serviceUnavailable && read.code == "storage_unavailable", "\(read)")
            }

            try cluster.resume()
            // The same request again: written once, by the writer that failed twice above.
            var retry = try await api.send(
                .post, "/v1/escrows", as: .bearer(payer.apiKey), json: body, idempotencyKey: "order-1")
            let deadline = Date().addingTimeInterval(20)
            while retry.status == .serviceUnavailable && Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                retry = try await api.send(
                    .post, "/v1/escrows", as: .bearer(payer.apiKey), json: body, idempotencyKey: "order-1")
            }
            #expect(retry.status == .created, "\(retry)")
            let again = try await api.send(
                .post, "/v1/escrows", as: .bearer(payer.apiKey), json: body, idempotencyKey: "order-1")
            #expect(again.status == .created && again.replayed, "\(again)")
            #expect(try await api.available(payer.id) == 7_500)
            #expect(try await fixture.seq() == before + 1, "one escrow.locked event and nothing of the failed tries")
            #expect(try await fixture.service.writerStateDifferences() == [])
            #expect(try await fixture.db.store.verify().isValid)
        }
    }
}
