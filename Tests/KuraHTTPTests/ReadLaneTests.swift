import Dispatch
import Foundation
import KuraCore
import KuraStore
import Synchronization
import Testing

/// Issue 14, finding 3: anonymous public reads must not stall authentication. Public reads wait in a bounded
/// lane of their own (refused `503 overloaded` when it is full), authentication reads on its own connection,
/// and a waiting read suspends its caller instead of blocking one of Swift's cooperative threads. Before the
/// storage boundary every read took a connection from one pool of four, waiting for it on a cooperative
/// thread, so a public scan that held the pool stalled every authenticated route too.
@Suite("read lanes")
struct ReadLaneTests {
    @Test("the public lane held and its queue full: public routes answer 503 overloaded, authenticated ones 200")
    func publicLoadDoesNotStallAuthentication() async throws {
        let fixture = try await HTTPFixture(label: "lanes")
        let store = fixture.db.store
        try await fixture.test { api in
            let payer = try await api.register("payer")
            try await api.deposit(payer.id, 1_000)

            // One read holds the public lane's reader; 256 more fill its queue (ReaderLanes' default bound).
            // Every read of the lane waits at the gate, so the lane stays held until the test opens it.
            let gate = DispatchSemaphore(value: 0)
            let refused = Mutex<KuraError?>(nil)
            let held = { @Sendable () async in
                do throws(KuraError) {
                    try await store.backend.read(.public) { _ throws(KuraError) in gate.wait() }
                } catch {
                    refused.withLock { $0 = error }
                }
            }
            var readers = (0..<257).map { _ in Task { await held() } }
            // However the test ends, every held read finishes (a failed expectation must not hang the suite).
            var opened = false
            defer { if !opened { for _ in 0..<readers.count { gate.signal() } } }
            // Probe until the lane is full and a read is refused at once. A probe that comes before the queue
            // is full (the holders' tasks may start late on a loaded machine) waits in line like the holders:
            // it must not be awaited here, or the test would wait for the gate it holds shut.
            for _ in 0..<200 where refused.withLock({ $0 }) == nil {
                readers.append(Task { await held() })
                try await Task.sleep(for: .milliseconds(20))
            }
            let refusal = refused.withLock { $0 }
            #expect(refusal?.code == .overloaded, "\(String(describing: refusal))")

            // Far more waiting callers than cooperative threads, and yet authenticated routes answer.
            let account = try await api.send(.get, "/v1/accounts/\(payer.id)", as: .bearer(payer.apiKey))
            #expect(account.status == .ok, "\(account)")
            let escrows = try await api.send(.get, "/v1/escrows", as: .bearer(payer.apiKey))
            #expect(escrows.status == .ok, "\(escrows)")
            // An anonymous public route is refused at once, with a retry hint, instead of waiting.
            let receipts = try await api.send(.get, "/v1/receipts")
            #expect(receipts.status == .serviceUnavailable && receipts.code == "overloaded", "\(receipts)")
            #expect(receipts.headers[.retryAfter] != nil)

            for _ in 0..<readers.count { gate.signal() }
            opened = true
            // Every held read is then served (a holder that started after the lane filled was refused too).
            for reader in readers { await reader.value }
            #expect(try await api.send(.get, "/v1/receipts").status == .ok)
        }
    }
}
