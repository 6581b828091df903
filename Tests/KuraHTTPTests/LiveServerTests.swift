import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@Suite("a live server on a loopback port")
struct LiveServerTests {
    @Test(
        "the whole flow over TCP, a signed request, and a 413 for an oversized body",
        arguments: ["live", "AsyncHTTPClient"])
    func liveFlow(client: String) async throws {
        let fixture = try await HTTPFixture(label: "live")
        try await fixture.test(client == "live" ? .live : .ahc(.http)) { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 10_000)
            let id = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 2_000)
            let delivered = try await api.send(
                .post, "/v1/escrows/\(id)/deliver", as: .bearer(payee.apiKey),
                json: ["evidence": .string(Hex.encode(SHA256.hash("x")))],
                idempotencyKey: "d-1")
            #expect(delivered.status == .ok)
            let confirmed = try await api.send(
                .post, "/v1/escrows/\(id)/confirm", as: .signed(payer.id, keyName: "payer"), json: [:])
            #expect(confirmed.status == .ok, "\(confirmed)")
            #expect(confirmed.json["state"] == "released")
            #expect(try await api.available(payee.id) == 2_000 - 10)
            #expect(try await fixture.fees() == 10)

            let before = try await fixture.seq()
            let big = try await api.send(
                .post, "/v1/escrows", as: .bearer(payer.apiKey), raw: [UInt8](repeating: 0x7B, count: (1 << 20) + 1))
            #expect(big.status == .contentTooLarge)
            #expect(big.code == "payload_too_large")
            #expect(try await fixture.seq() == before)
            // The server still answers after refusing the body.
            #expect(try await api.send(.get, "/healthz").status == .ok)
        }
    }

    @Test("onListening reports the bound port of port 0; graceful shutdown returns")
    func onListeningAndShutdown() async throws {
        let db = try await TestDatabase(label: "listen")
        defer { db.close() }
        let port = Mutex<Int?>(nil)
        let server = KuraServer(
            service: db.service,
            configuration: .init(
                host: "127.0.0.1", port: 0, sweepIntervalMs: 50, onListening: { bound in port.withLock { $0 = bound } }),
            logger: Logger.quiet("kura.live"))
        let group = ServiceGroup(
            configuration: .init(
                services: [server.makeApplication()],
                logger: Logger.quiet("group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound: Int?
            for _ in 0..<200 where bound == nil {
                bound = port.withLock { $0 }
                if bound == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let listening = try #require(bound)
            #expect(listening > 0 && listening != 8402)

            var request = HTTPClientRequest(url: "http://127.0.0.1:\(listening)/v1/accounts/\(db.operatorParty.id)")
            request.headers.add(name: "Authorization", value: "Bearer \(db.operatorRegistration.apiKey!)")
            let response = try await HTTPClient.shared.execute(request, timeout: HTTPFixture.requestTimeout)
            #expect(response.status.code == 200)
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(
                try JSONValue.parse(Array(body.readableBytesView))["party"]?.stringValue == db.operatorParty.id.rawValue
            )

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

@Suite("the background sweeper")
struct SweeperTests {
    /// Polls until `check` holds or five seconds pass.
    private func eventually(_ check: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test(
        "past deliverBy an undelivered escrow expires and the payer is refunded; past the confirm window a delivery is released"
    )
    func expiresAndReleases() async throws {
        let fixture = try await HTTPFixture(sweepIntervalMs: 10, label: "sweep")
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 1_000)
            let late = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 300, deliverInMs: 1_000)
            let done = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 200, deliverInMs: 1_000)
            let delivered = try await api.send(
                .post, "/v1/escrows/\(done)/deliver", as: .bearer(payee.apiKey),
                json: ["evidence": .string(Hex.encode(SHA256.hash("d")))])
            #expect(delivered.status == .ok)
            #expect(try await api.available(payer.id) == 500)

            fixture.clock.advance(by: 1_001)
            let expired = try await eventually {
                try await api.send(.get, "/v1/escrows/\(late)", as: .bearer(payer.apiKey)).json["state"] == "expired"
            }
            #expect(expired)
            #expect(try await api.available(payer.id) == 800)
            // The delivered one waits for its confirm window (a day by default).
            #expect(
                try await api.send(.get, "/v1/escrows/\(done)", as: .bearer(payer.apiKey)).json["state"] == "delivered")

            fixture.clock.advance(by: 86_400_000)
            let released = try await eventually {
                try await api.send(.get, "/v1/escrows/\(done)", as: .bearer(payer.apiKey)).json["state"] == "released"
            }
            #expect(released)
            #expect(try await api.available(payee.id) == 199)
            #expect(try await fixture.fees() == 1)
            #expect(try await fixture.service.ledgerViolations().isEmpty)
        }
    }
}
