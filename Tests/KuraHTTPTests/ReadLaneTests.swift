import Dispatch
import Foundation
import KuraCore
import KuraStore
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

            // One read holds the public lane's reader; 256 more fill its queue (ReaderLanes' default bound). The
            // first holder is running before the others are queued, and the lane is full before it is probed: a
            // probe sent earlier would wait behind the held reader for ever, and a holder queued before the first
            // one ran would be refused (under load both happened, and the test hung). Whatever fails below, the
            // holders are released, or the fixture's close would wait for the held reader.
            let backend = try #require(store.backend as? SQLiteBackend)
            let gate = DispatchSemaphore(value: 0)
            let running = DispatchSemaphore(value: 0)
            defer { for _ in 0..<257 { gate.signal() } }
            func hold() -> Task<Int, any Error> {
                Task { () throws -> Int in
                    try await store.backend.read(.public) { _ throws(KuraError) -> Int in
                        running.signal()
                        gate.wait()
                        return 1
                    }
                }
            }
            var holders = [hold()]
            while running.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(5)) }
            holders += (0..<256).map { _ in hold() }
            let deadline = Date().addingTimeInterval(30)
            while backend.waiting(.public) < 256 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try #require(backend.waiting(.public) == 256, "the holders did not fill the public lane")
            var refusal: KuraError?
            do throws(KuraError) {
                _ = try await store.backend.read(.public) { _ throws(KuraError) -> Int in 0 }
            } catch {
                refusal = error
            }
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

            for _ in holders { gate.signal() }
            // A holder may have been refused if some other public read (the server's own) took a place in the queue
            // first; every other holder ran once released.
            var held = 0
            for holder in holders {
                do { held += try await holder.value } catch { #expect((error as? KuraError)?.code == .overloaded) }
            }
            #expect(held >= 250, "\(held) holders ran")
            #expect(try await api.send(.get, "/v1/receipts").status == .ok)
        }
    }
}
