import AsyncHTTPClient
import Dispatch
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
import ServiceLifecycle
import Synchronization
import Testing

@Suite("operations: metrics, request IDs, readiness, the explorer's files")
struct OperationsTests {
    static let requestID = HTTPField.Name("X-Request-ID")!

    @Test(
        "GET /metrics after a scripted flow: requests per route and status, durations, writer batches, head, receipts, checkpoint age, rate-limit refusals, facilitator outcomes, sweeps"
    )
    func metricsAfterAFlow() async throws {
        let fixture = try await HTTPFixture(sweepIntervalMs: 20, label: "metrics") { configuration in
            configuration.checkpointIntervalMs = 0
            configuration.publicRateLimit = RateLimit(requestsPerSecond: 0.001, burst: 1)
        }
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 10_000)
            let id = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 2_000)
            let opened = fixture.clock.now
            let delivered = try await api.send(
                .post, "/v1/escrows/\(id)/deliver", as: .bearer(payee.apiKey),
                json: ["evidence": .string(Hex.encode(SHA256.hash("x")))])
            #expect(delivered.status == .ok)
            #expect(try await api.send(.post, "/v1/escrows/\(id)/confirm", as: .bearer(payer.apiKey)).status == .ok)
            #expect(try await api.send(.get, "/v1/nothing/here").status == .notFound)
            // The second public read within the limit's second is refused.
            #expect(try await api.send(.get, "/v1/reputation/\(payee.id)").status == .ok)
            let limited = try await api.send(.get, "/v1/reputation/\(payee.id)")
            #expect(limited.status == .tooManyRequests)
            // A refused verify (problem code) and a refused x402 verify (200 with a reason).
            let refused = try await api.send(
                .post, "/x402/verify", as: .bearer(payer.apiKey),
                json: [
                    "amount": 100, "lane": "enterprise", "mandate": "mdt_2p8fVYk6nZ1q",
                    "agent": .string(payer.id.rawValue), "counterparty": .string(payee.id.rawValue),
                ])
            let refusal = try #require(refused.code, "\(refused)")
            // With an API key: the public routes' limit (spent above) does not count it.
            let x402 = try await api.send(.post, "/facilitator/verify", as: .bearer(payer.apiKey), json: [:])
            #expect(x402.status == .ok && x402.json["isValid"] == false)
            let reason = try #require(x402.json["invalidReason"]?.stringValue)
            // Let the sweeper (every 20 ms) run at least once.
            var sweeps = 0.0
            for _ in 0..<250 where sweeps < 1 {
                try await Task.sleep(for: .milliseconds(20))
                let scrape = try await api.send(.get, "/metrics", as: api.operatorCaller)
                sweeps = try PrometheusText(scrape.text)["kura_sweeper_runs_total"] ?? 0
            }
            #expect(sweeps >= 1)
            _ = fixture.clock.advance(by: 5_000)

            let scrape = try await api.send(.get, "/metrics", as: api.operatorCaller)
            #expect(scrape.status == .ok)
            #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let metrics = try PrometheusText(scrape.text)
            func requests(_ method: String, _ route: String, _ status: Int) -> Double? {
                metrics["kura_http_requests_total", ["method": method, "route": route, "status": String(status)]]
            }
            #expect(requests("POST", "/v1/parties", 201) == 2, "\(metrics)")
            #expect(requests("POST", "/v1/accounts/{party}/deposits", 200) == 1)
            #expect(requests("POST", "/v1/escrows", 201) == 1)
            #expect(requests("POST", "/v1/escrows/{id}/deliver", 200) == 1)
            #expect(requests("POST", "/v1/escrows/{id}/confirm", 200) == 1)
            #expect(requests("GET", "unmatched", 404) == 1)
            #expect(requests("GET", "/v1/reputation/{party}", 200) == 1)
            #expect(requests("GET", "/v1/reputation/{party}", 429) == 1)
            #expect(
                metrics[
                    "kura_http_request_duration_seconds_count",
                    ["method": "POST", "route": "/v1/escrows", "status": "201"]] == 1)
            #expect(metrics["kura_rate_limit_refusals_total", ["route": "/v1/reputation/{party}"]] == 1)
            #expect(metrics["kura_facilitator_outcomes_total", ["operation": "verify", "reason": refusal]] == 1)
            #expect(metrics["kura_facilitator_outcomes_total", ["operation": "verify", "reason": reason]] == 1)
            // Every event went through the observed writer, from the operator's bootstrap on.
            let head = try await fixture.seq()
            #expect(metrics["kura_writer_batch_events_sum"] == Double(head))
            #expect(metrics["kura_log_head_seq"] == Double(head))
            let batches = try #require(metrics["kura_writer_batch_commands_count"])
            #expect(batches >= 7)
            #expect(metrics["kura_writer_commit_duration_seconds_count"] == batches)
            #expect(metrics["kura_writer_queue_depth"] == 0)
            // What SQLite holds (page caches, statements) is read at each scrape.
            #expect((metrics["kura_sqlite_memory_bytes"] ?? 0) > 0)
            // Locked, delivered, released; none under a checkpoint yet, the oldest waiting 5 s since the lock.
            #expect(metrics["kura_receipts"] == 3)
            #expect(metrics["kura_checkpoint_size"] == 0)
            #expect(
                metrics["kura_checkpoint_age_seconds"]
                    == Double(fixture.clock.now.milliseconds - opened.milliseconds) / 1000)
            #expect(metrics["kura_checkpoint_age_seconds"] == 5)

            // Once a checkpoint covers every receipt, nothing waits. (Public GETs never sign one: the checkpointer
            // does, here called by hand as no checkpointer runs.)
            _ = try await fixture.service.checkpointIfGrown()
            #expect(try await api.send(.get, "/v1/log/checkpoint", as: .bearer(payer.apiKey)).status == .ok)
            let after = try PrometheusText(try await api.send(.get, "/metrics", as: api.operatorCaller).text)
            #expect(after["kura_checkpoint_size"] == 3)
            #expect(after["kura_checkpoint_age_seconds"] == 0)
        }
    }

    @Test("X-Request-ID: a usable one is echoed, in the header and the problem document; otherwise one is made")
    func requestIDRoundTrip() async throws {
        let fixture = try await HTTPFixture(label: "request-id")
        try await fixture.test { api in
            let traced = try await api.send(
                .get, "/v1/escrows/esc_2p8fVYk6nZ1q", as: api.operatorCaller,
                headers: [Self.requestID: "trace-42.a:b_c"])
            #expect(traced.status == .notFound)
            #expect(traced.headers[Self.requestID] == "trace-42.a:b_c")
            #expect(traced.json["requestId"] == "trace-42.a:b_c")
            #expect(traced.contentType == "application/problem+json")

            let fresh = try await api.send(.get, "/healthz")
            let id = try #require(fresh.headers[Self.requestID])
            #expect(id.hasPrefix("req_") && id.count == 36 && id.dropFirst(4).allSatisfy(\.isHexDigit))
            #expect(fresh.json == ["status": "ok"])

            for unusable in ["has space", String(repeating: "a", count: 129), "semi;colon", "é"] {
                let answer = try await api.send(.get, "/healthz", headers: [Self.requestID: unusable])
                let given = try #require(answer.headers[Self.requestID])
                #expect(given != unusable && given.hasPrefix("req_"))
            }

            let problem = try await api.send(.post, "/v1/escrows", as: api.operatorCaller, raw: Array("{".utf8))
            #expect(problem.status == .badRequest)
            #expect(problem.json["requestId"]?.stringValue == problem.headers[Self.requestID])
            let two = try await api.send(.get, "/healthz")
            #expect(two.headers[Self.requestID] != id)
        }
    }

    @Test("/readyz: 200 while the writer moves; 503 not_ready while it owes work past the stall limit; 200 again")
    func readiness() async throws {
        let fixture = try await HTTPFixture(label: "ready") { $0.writerStallSeconds = 0.2 }
        try await fixture.test { api in
            let ready = try await api.send(.get, "/readyz")
            #expect(ready.status == .ok && ready.json == ["status": "ready"])
            #expect(try await api.send(.get, "/healthz").status == .ok)

            let gate = DispatchSemaphore(value: 0)
            let store = fixture.db.store
            let blocked = store.holdWriter(until: gate)
            let queued = Task { try await store.transact { (_: inout WriteTransaction) throws(KuraError) -> Int in 2 } }
            try await Task.sleep(for: .milliseconds(500))
            let stalled = try await api.send(.get, "/readyz")
            #expect(stalled.status == .serviceUnavailable, "\(stalled)")
            #expect(stalled.code == "not_ready")
            #expect(stalled.json["detail"]?.stringValue?.contains("writer") == true)
            #expect(stalled.json["requestId"] != nil)
            // Liveness is not readiness.
            #expect(try await api.send(.get, "/healthz").status == .ok)

            gate.signal()
            try await blocked.value
            #expect(try await queued.value == 2)
            #expect(try await api.send(.get, "/readyz").status == .ok)
        }
    }

    /// Review finding: a node whose log lost the events it had answered for refused to write with a momentary code
    /// (`storage_unavailable`, retried by clients), and `/readyz` kept calling it ready.
    @Test("a node whose log lost what it answered for: writes are 500 chain_broken, /readyz 503 until the log is whole")
    func logLostWhatItAnsweredFor() async throws {
        let fixture = try await HTTPFixture(label: "log-lost")
        try await fixture.test { api in
            let party = try await api.register("lost")
            let before = try await fixture.seq()
            for units in [5, 6] {
                let deposit = try await api.send(
                    .post, "/v1/accounts/\(party.id)/deposits", as: api.operatorCaller,
                    json: ["asset": "USDC", "amount": .number(Double(units))])
                #expect(deposit.status == .ok, "\(deposit)")
            }
            let raw = try SQLiteConnection(path: fixture.db.path, create: false)
            try raw.execute("PRAGMA busy_timeout = 10000")
            try raw.execute("DROP TRIGGER events_refuse_delete")
            try raw.run("CREATE TABLE lost AS SELECT * FROM events WHERE seq > ?", .integer(Int64(before)))
            try raw.run("DELETE FROM events WHERE seq > ?", .integer(Int64(before)))
            let unready = try await api.send(.get, "/readyz")
            #expect(unready.status == .serviceUnavailable && unready.code == "not_ready", "\(unready)")
            #expect(
                unready.json["detail"]?.stringValue?.contains("lost event") == true, "before a batch fails: \(unready)")
            let refused = try await api.send(
                .post, "/v1/accounts/\(party.id)/deposits", as: api.operatorCaller,
                json: ["asset": "USDC", "amount": 7])
            #expect(refused.status == .internalServerError && refused.code == "chain_broken", "\(refused)")
            #expect(try await fixture.seq() == before, "nothing written over the lost events")
            let ready = try await api.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable && ready.code == "not_ready", "\(ready)")
            #expect(ready.json["detail"]?.stringValue?.contains("chain_broken") == true, "\(ready)")
            // Left open by the last stop: with its events back, the node stayed unready until a batch committed, so
            // with no traffic routed to it, until it was restarted.
            try raw.execute("INSERT INTO events SELECT * FROM lost; DROP TABLE lost")
            let whole = try await api.send(.get, "/readyz")
            #expect(whole.status == .ok, "ready again once the log holds its events: \(whole)")
            let deposit = try await api.send(
                .post, "/v1/accounts/\(party.id)/deposits", as: api.operatorCaller,
                json: ["asset": "USDC", "amount": 7])
            #expect(deposit.status == .ok, "\(deposit)")
        }
    }

    @Test("GET /metrics on the API port: 401 without credentials, 403 for a party, 200 for the operator; off: 404")
    func metricsAccessOnTheAPIPort() async throws {
        let fixture = try await HTTPFixture(label: "metrics-access")
        try await fixture.test { api in
            let anonymous = try await api.send(.get, "/metrics")
            #expect(anonymous.status == .unauthorized && anonymous.code == "unauthenticated")
            let party = try await api.register("someone")
            let forbidden = try await api.send(.get, "/metrics", as: .bearer(party.apiKey))
            #expect(forbidden.status == .forbidden && forbidden.code == "forbidden")
            let signed = try await api.send(.get, "/metrics", as: .signed(party.id, keyName: "someone"))
            #expect(signed.status == .forbidden)
            let scrape = try await api.send(.get, "/metrics", as: api.operatorCaller)
            #expect(scrape.status == .ok && scrape.text.contains("kura_http_requests_total"))
            #expect(try await api.send(.get, "/metrics?x=1", as: api.operatorCaller).status == .badRequest)
        }
        let off = try await HTTPFixture(label: "metrics-off") { $0.metricsAccess = .off }
        try await off.test { api in
            let answer = try await api.send(.get, "/metrics", as: api.operatorCaller)
            #expect(answer.status == .notFound)
        }
    }

    @Test("--metrics port: a listener of its own answers without credentials; the API port's /metrics is 404")
    func metricsOnASeparatePort() async throws {
        let db = try await TestDatabase(label: "metrics-port")
        defer { db.close() }
        let ports = Mutex<(api: Int?, metrics: Int?)>((nil, nil))
        var configuration = KuraServer.Configuration(host: "127.0.0.1", port: 0, sweepIntervalMs: 0)
        configuration.metricsAccess = .separatePort(host: "127.0.0.1", port: 0)
        configuration.idleTimeoutMs = HTTPFixture.idleTimeoutMs
        configuration.onListening = { port in ports.withLock { $0.api = port } }
        configuration.onMetricsListening = { port in ports.withLock { $0.metrics = port } }
        let server = KuraServer(
            service: db.service, configuration: configuration,
            logger: Logger.quiet("kura.live"))
        let group = ServiceGroup(
            configuration: .init(
                services: [server.makeApplication()],
                logger: Logger.quiet("group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound: (api: Int?, metrics: Int?) = (nil, nil)
            for _ in 0..<300 where bound.api == nil || bound.metrics == nil {
                bound = ports.withLock { $0 }
                if bound.api == nil || bound.metrics == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let api = try #require(bound.api)
            let metricsPort = try #require(bound.metrics)
            #expect(api != metricsPort)
            func get(_ url: String, bearer: String? = nil) async throws -> (Int, String) {
                var request = HTTPClientRequest(url: url)
                if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
                let response = try await HTTPClient.shared.execute(request, timeout: HTTPFixture.requestTimeout)
                let body = try await response.body.collect(upTo: 1 << 22)
                return (Int(response.status.code), String(buffer: body))
            }
            let operatorKey = try #require(db.operatorRegistration.apiKey)
            let onAPI = try await get("http://127.0.0.1:\(api)/metrics", bearer: operatorKey)
            #expect(onAPI.0 == 404)
            #expect(try await get("http://127.0.0.1:\(api)/healthz").0 == 200)
            let scrape = try await get("http://127.0.0.1:\(metricsPort)/metrics")
            #expect(scrape.0 == 200)
            let metrics = try PrometheusText(scrape.1)
            #expect(metrics["kura_http_requests_total", ["method": "GET", "route": "/healthz", "status": "200"]] == 1)
            #expect(metrics["kura_http_requests_total", ["method": "GET", "route": "/metrics", "status": "404"]] == 1)
            #expect(try await get("http://127.0.0.1:\(metricsPort)/v1/receipts").0 == 404)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("the explorer's three files, with a strict content security policy; --explorer off: 404")
    func explorerFiles() async throws {
        let fixture = try await HTTPFixture(label: "explorer")
        try await fixture.test { api in
            let page = try await api.send(.get, "/explorer")
            #expect(page.status == .ok && page.contentType == "text/html; charset=utf-8")
            #expect(page.text.contains("<script src=\"/explorer/explorer.js\"></script>"))
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            let script = try await api.send(.get, "/explorer/explorer.js")
            #expect(script.status == .ok && script.contentType == "text/javascript; charset=utf-8")
            #expect(script.text.contains("crypto.subtle.verify"))
            let style = try await api.send(.get, "/explorer/explorer.css")
            #expect(style.status == .ok && style.contentType == "text/css; charset=utf-8")
            #expect(try await api.send(.get, "/explorer/other.js").status == .notFound)
        }
        let off = try await HTTPFixture(label: "explorer-off") { $0.explorer = false }
        try await off.test { api in
            let page = try await api.send(.get, "/explorer")
            let script = try await api.send(.get, "/explorer/explorer.js")
            #expect(page.status == .notFound && script.status == .notFound)
        }
    }

    @Test("--jose-alg Ed25519: the JWK set and envelopes say Ed25519 and settle; either name opens")
    func joseAlgorithm() async throws {
        var service = ServiceConfiguration()
        service.joseAlgorithm = .ed25519
        let fixture = try await HTTPFixture(configuration: service, label: "jose")
        try await fixture.test { api in
            let jwks = try await api.send(.get, "/.well-known/jwks.json")
            let keys = try #require(jwks.json["keys"]?.arrayValue)
            #expect(!keys.isEmpty && keys.allSatisfy { $0["alg"] == "Ed25519" && $0["crv"] == "Ed25519" })
            let agent = try await api.register("agent")
            let provider = try await api.register("provider")
            try await api.deposit(agent.id, 100_000)
            let mandate = try await api.send(
                .post, "/v1/mandates", as: .bearer(agent.apiKey),
                json: [
                    "agent": .string(agent.id.rawValue), "asset": "USDC", "amount": 50_000, "perTxCap": 10_000,
                    "dailyCap": 40_000, "allowedCounterparties": [.string(provider.id.rawValue)],
                    "expiresAt": .number(Double(fixture.clock.now.milliseconds + 86_400_000)),
                ])
            let verified = try await api.send(
                .post, "/x402/verify", as: .bearer(agent.apiKey),
                json: [
                    "amount": 2_500, "lane": "enterprise", "mandate": .string(mandate.json["id"]?.stringValue ?? ""),
                    "agent": .string(agent.id.rawValue), "counterparty": .string(provider.id.rawValue),
                ])
            let envelope = try #require(verified.json["envelope"]?.stringValue, "\(verified)")
            let header = try JSONValue.parse(try #require(Base64.urlDecode(String(envelope.prefix { $0 != "." }))))
            #expect(header["alg"] == "Ed25519")
            let settled = try await api.send(
                .post, "/x402/settle", as: .bearer(provider.apiKey),
                json: ["reservationId": verified.json["reservationId"] ?? .null, "envelope": .string(envelope)])
            #expect(settled.status == .ok, "\(settled)")
        }
    }
}
