import AsyncHTTPClient
import Foundation
import HTTPTypes
import KuraCore
import KuraCrypto
import KuraTesting
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One request to a live server, its answer read whole.
struct LiveAnswer: Sendable {
    let status: Int
    let headers: [(String, String)]
    let body: String
    var json: JSONValue { (try? JSONValue.parse(Array(body.utf8))) ?? .null }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

func live(
    _ method: String, _ url: String, headers: [(String, String)] = [], json: JSONValue? = nil
) async throws -> LiveAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try json.canonicalBytes()))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 1 << 22)
    return LiveAnswer(
        status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
        body: String(buffer: body))
}

@Suite("kura serve in operation: request logs, settings", .serialized)
struct ServeOperationsTests {
    @Test(
        "--log-format json: one JSON line per request with its ID; no API key, signature or envelope in any line")
    func requestLogHoldsNoSecrets() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("k.sqlite")
        let initialised = try await runKura(["init", "--db", db, "--json"], in: dir)
        let operatorKey = try #require(try JSONValue.parse(initialised.stdout)["operatorApiKey"]?.stringValue)
        let server = try await ServerProcess.start(
            database: db, in: dir, arguments: ["--log-level", "info", "--log-format", "json"])
        var sent = 0
        var secrets = [operatorKey]
        func call(_ method: String, _ path: String, headers: [(String, String)] = [], json: JSONValue? = nil)
            async throws -> LiveAnswer
        {
            sent += 1
            return try await live(method, server.url + path, headers: headers, json: json)
        }
        let bearer = { (key: String) in [("Authorization", "Bearer \(key)")] }
        var parties: [String: (id: String, key: String)] = [:]
        for name in ["agent", "provider"] {
            let answer = try await call(
                "POST", "/v1/parties", headers: bearer(operatorKey),
                json: [
                    "name": .string(name), "roles": ["agent", "provider"],
                    "publicKey": .string(TestKeys.publicKey(name).base64),
                ])
            #expect(answer.status == 201, "\(answer.body)")
            let key = try #require(answer.json["apiKey"]?.stringValue)
            parties[name] = (try #require(answer.json["party"]?["id"]?.stringValue), key)
            secrets.append(key)
        }
        let agent = try #require(parties["agent"])
        let provider = try #require(parties["provider"])
        #expect(
            try await call(
                "POST", "/v1/accounts/\(agent.id)/deposits", headers: bearer(operatorKey),
                json: ["asset": "USDC", "amount": 100_000]
            ).status == 200)
        // A signed request: its signature must not reach the log either.
        // kura-request-v2 names the instance: the first two fields of the verifier key.
        let verifierKey = try await call("GET", "/v1/log/key").body.trimmingCharacters(in: .whitespacesAndNewlines)
        let instance = verifierKey.split(separator: "+").prefix(2).joined(separator: "+")
        let signature = Signing.headers(
            instance: instance, party: try PartyID(validating: agent.id), key: TestKeys.secretKey("agent"),
            method: "GET",
            pathWithQuery: "/v1/accounts/\(agent.id)",
            timestamp: Int64(Date().timeIntervalSince1970 * 1000), nonce: "nonce-\(UUID().uuidString)", body: [])
        let signed = try await call(
            "GET", "/v1/accounts/\(agent.id)", headers: signature.map { ($0.name.rawName, $0.value) })
        #expect(signed.status == 200, "\(signed.body)")
        secrets += signature.filter { $0.name.rawName == "Kura-Signature" }.map(\.value)
        let mandate = try await call(
            "POST", "/v1/mandates", headers: bearer(agent.key),
            json: [
                "agent": .string(agent.id), "asset": "USDC", "amount": 50_000, "perTxCap": 10_000, "dailyCap": 40_000,
                "allowedCounterparties": [.string(provider.id)],
                "expiresAt": .number(Double(Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000)),
            ])
        #expect(mandate.status == 201, "\(mandate.body)")
        let verified = try await call(
            "POST", "/x402/verify", headers: bearer(agent.key),
            json: [
                "amount": 2_500, "lane": "enterprise", "mandate": mandate.json["id"] ?? .null,
                "agent": .string(agent.id), "counterparty": .string(provider.id),
            ])
        let envelope = try #require(verified.json["envelope"]?.stringValue, "\(verified.body)")
        secrets += [envelope, String(envelope.split(separator: ".")[2])]
        let settled = try await call(
            "POST", "/x402/settle", headers: bearer(provider.key),
            json: ["reservationId": verified.json["reservationId"] ?? .null, "envelope": .string(envelope)])
        #expect(settled.status == 200, "\(settled.body)")
        secrets.append(try #require(settled.json["txSignature"]?.stringValue))
        let wrongKey = "kura_thisKeyIsWrongButStillSecret0123456789"
        secrets.append(wrongKey)
        #expect(try await call("GET", "/v1/parties/\(agent.id)", headers: bearer(wrongKey)).status == 401)
        let fakeProof = "c2lnbmF0dXJlLW9mLWFuLXg0MDItcGF5bG9hZC10aGF0LW11c3Qtbm90LWJlLWxvZ2dlZA"
        secrets.append(fakeProof)
        let x402 = try await call(
            "POST", "/facilitator/verify",
            json: ["x402Version": 2, "paymentPayload": ["payload": ["signature": .string(fakeProof)]]])
        #expect(x402.status == 200)
        let traced = try await call("GET", "/healthz", headers: [("X-Request-ID", "log-test-7")])
        #expect(traced.header("X-Request-ID") == "log-test-7")

        #expect(try await server.terminate() == 0)
        let stderr = try String(contentsOfFile: dir.path("serve.err"), encoding: .utf8)
        let stdout = server.output()
        for secret in secrets {
            #expect(!stderr.contains(secret), "a secret reached the log: \(secret.prefix(12))…")
            #expect(!stdout.contains(secret), "a secret reached stdout: \(secret.prefix(12))…")
        }
        let lines = try stderr.split(separator: "\n").map { try JSONValue.parse(Array($0.utf8)) }
        #expect(lines.allSatisfy { $0["time"]?.stringValue?.hasSuffix("Z") == true && $0["level"] != nil })
        let requests = lines.filter { $0["message"] == "request" }
        #expect(requests.count == sent, "\(stderr)")
        for line in requests {
            #expect(line["requestId"]?.stringValue?.isEmpty == false)
            #expect(line["method"] != nil && line["route"] != nil && line["status"] != nil && line["durationMs"] != nil)
        }
        #expect(requests.contains { $0["requestId"] == "log-test-7" && $0["route"] == "/healthz" })
        #expect(
            requests.contains {
                $0["route"] == "/v1/parties/{id}" && $0["status"] == "401" && $0["code"] == "unauthenticated"
            })
        #expect(requests.contains { $0["route"] == "/facilitator/verify" && $0["reason"] != nil })
    }

    @Test("settings: flag over environment over file over default; --print-config masks a URL's password")
    func settingsFromEverywhere() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let kura = try KuraBinary.require().path
        let env = URL(fileURLWithPath: "/usr/bin/env")
        try """
        # kura serve settings
        port = 9100
        host = 0.0.0.0
        log-level = debug
        db = "postgres://kura:hunter2@db.example/kura"
        metrics-port = 9500
        """.write(toFile: dir.path("kura.conf"), atomically: true, encoding: .utf8)

        let printed = try await runProgram(
            env,
            [
                "KURA_CONFIG=kura.conf", "KURA_PORT=9200", "KURA_JOSE_ALG=Ed25519", "KURA_SQLITE_CACHE_MIB=2", kura,
                "serve", "--log-level", "warning", "--print-config",
            ], in: dir)
        #expect(printed.status == 0, "\(printed)")
        let lines = printed.stdout.split(separator: "\n").map(String.init)
        func line(_ name: String) -> String? { lines.first { $0.hasPrefix("\(name) = ") } }
        #expect(line("port")?.hasPrefix("port = 9200  # environment KURA_PORT") == true, "\(printed.stdout)")
        #expect(line("log-level")?.hasPrefix("log-level = warning  # command line") == true)
        #expect(line("host")?.hasPrefix("host = 0.0.0.0  # file kura.conf") == true)
        #expect(line("jose-alg")?.hasPrefix("jose-alg = Ed25519  # environment KURA_JOSE_ALG") == true)
        #expect(line("log-format")?.hasPrefix("log-format = text  # default") == true)
        #expect(
            line("sqlite-cache-mib")?.hasPrefix("sqlite-cache-mib = 2  # environment KURA_SQLITE_CACHE_MIB") == true)
        #expect(line("metrics-port")?.hasPrefix("metrics-port = 9500  # file kura.conf") == true)
        #expect(
            line("db") == "db = postgres://kura:********@db.example/kura  # file kura.conf; KURA_DB, KURA_DATABASE_URL")
        #expect(!printed.stdout.contains("hunter2"))
        // The link to jemalloc took: it serves the Swift runtime's own allocations (MemoryAllocator).
        #expect(printed.stdout.contains("# memory allocator: jemalloc "), "\(printed.stdout)")
        // The printed configuration reads back as a configuration file.
        try printed.stdout.write(toFile: dir.path("again.conf"), atomically: true, encoding: .utf8)
        let again = try await runKura(["serve", "--config", "again.conf", "--print-config"], in: dir)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("port = 9200  # file again.conf"))

        for (arguments, names) in [
            (["KURA_PORT=99999", kura, "serve", "--print-config"], "KURA_PORT"),
            (["KURA_LOG_FORMAT=xml", kura, "serve", "--print-config"], "KURA_LOG_FORMAT"),
            ([kura, "serve", "--metrics", "sometimes", "--print-config"], "--metrics"),
            (["KURA_SQLITE_CACHE_MIB=0", kura, "serve", "--print-config"], "KURA_SQLITE_CACHE_MIB"),
            ([kura, "serve", "--sqlite-cache-mib", "lots", "--print-config"], "--sqlite-cache-mib"),
        ] {
            let refused = try await runProgram(env, arguments, in: dir)
            #expect(refused.status == 64, "\(refused)")
            #expect(refused.stderr.contains(names), "\(refused)")
        }
        try "port = 1\nprot = 2\n".write(toFile: dir.path("typo.conf"), atomically: true, encoding: .utf8)
        let typo = try await runKura(["serve", "--config", "typo.conf", "--print-config"], in: dir)
        #expect(typo.status == 64 && typo.stderr.contains("typo.conf:2") && typo.stderr.contains("prot"), "\(typo)")

        // The environment is obeyed, not only printed: a server on the database and port it names.
        let served = try await ServerProcess.launch(
            env,
            [
                "KURA_DB=\(dir.path("env.sqlite"))", "KURA_PORT=0", "KURA_LOG_FORMAT=json", "KURA_SQLITE_CACHE_MIB=1",
                kura,
                "serve",
            ],
            name: "env-serve", in: dir)
        #expect(try await live("GET", served.url + "/readyz").status == 200)
        #expect(try await served.terminate() == 0)
        #expect(FileManager.default.fileExists(atPath: dir.path("env.sqlite")))
        let log = try String(contentsOfFile: dir.path("env-serve.err"), encoding: .utf8)
        #expect(log.split(separator: "\n").contains { (try? JSONValue.parse(Array($0.utf8)))?["route"] == "/readyz" })
    }
}
