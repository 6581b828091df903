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
import NIOCore

/// A KuraServer over a fresh test database (test clock, fixed keys, seeded API keys, an operator).
final class HTTPFixture: Sendable {
    let db: TestDatabase
    let server: KuraServer

    var service: KuraService { db.service }
    var clock: TestClock { db.clock }
    var operatorKey: String { db.operatorRegistration.apiKey! }

    /// Counts what the server and the store's writer do (the store's observer and the server's metrics).
    let metrics = KuraMetrics()

    /// `sweepIntervalMs: 0` runs no background sweeper, so nothing writes unless a test does. The public
    /// routes' rate limits are off unless `rateLimited` (their own tests turn them on), so that a test
    /// making many public reads measures what it is about. `configure` may change the rest of the server's
    /// configuration.
    init(
        sweepIntervalMs: Int64 = 0, maxBodyBytes: Int = 1 << 20,
        configuration serviceConfiguration: ServiceConfiguration = ServiceConfiguration(),
        clock: TestClock = TestClock(), label: String = "http", rateLimited: Bool = false,
        logger: Logger = Logger.quiet("kura.http.test"),
        backend: (any TestBackendDatabase)? = nil,
        configure: (inout KuraServer.Configuration) -> Void = { _ in }
    ) async throws {
        db = try await TestDatabase(
            clock: clock, configuration: serviceConfiguration, label: label, backend: backend, observer: metrics)
        var configuration = KuraServer.Configuration(
            port: 0, maxBodyBytes: maxBodyBytes, sweepIntervalMs: sweepIntervalMs)
        if !rateLimited {
            configuration.publicRateLimit = nil
            configuration.anonymousRateLimit = nil
        }
        configuration.metrics = metrics
        configuration.idleTimeoutMs = Self.idleTimeoutMs
        configure(&configuration)
        server = KuraServer(service: db.service, configuration: configuration, logger: logger)
    }

    deinit { db.close() }

    /// How long a test's own HTTP request may take: generous, because the whole suite runs at once and on two busy
    /// cores a request can wait long for its turn (10 s timed out in full runs of the suite).
    static let requestTimeout: TimeAmount = .seconds(120)

    /// The test servers' idle timeout: none. The server's default closes a keep-alive connection left idle 15 s, and
    /// a test starved on a busy two-core machine (the whole suite runs at once) can leave its client's connection
    /// that long between two requests: its next request was reset. `SlowClientTests` sets its own.
    static let idleTimeoutMs: Int64 = 0

    /// The log head's sequence number: unchanged means nothing was written.
    func seq() async throws -> UInt64 { try await db.store.head().seq }

    /// The balance of the `fees` ledger account in `asset`.
    func fees(_ asset: String = "USDC") async throws -> Int64 {
        try await db.store.read { reads throws(KuraError) in try reads.balance(account: "fees", asset: asset) }
    }

    /// Runs `body` against the application through HummingbirdTesting.
    func test<T: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (APIClient) async throws -> T)
        async throws -> T
    {
        try await server.makeApplication().test(setup) { client in
            try await body(APIClient(client: client, fixture: self))
        }
    }
}

/// An answer, with its body read.
struct Answer: Sendable, CustomStringConvertible {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]

    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The problem `code`, when this is a problem.
    var code: String? { json["code"]?.stringValue }
    var contentType: String? { headers[.contentType] }
    var replayed: Bool { headers[HTTPField.Name("Idempotent-Replayed")!] == "true" }
    var description: String { "\(status.code) \(text)" }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValue.parse(body).decode(T.self) }
}

/// Who sends a request.
enum Caller: Sendable {
    case none
    case bearer(String)
    /// Signed with the party's `TestKeys` key named `keyName`.
    case signed(PartyID, keyName: String)
}

/// A thin JSON client over a HummingbirdTesting client.
struct APIClient: Sendable {
    let client: any TestClientProtocol
    let fixture: HTTPFixture

    var operatorCaller: Caller { .bearer(fixture.operatorKey) }

    func send(
        _ method: HTTPRequest.Method, _ uri: String, as caller: Caller = .none, json: JSONValue? = nil,
        raw: [UInt8]? = nil,
        idempotencyKey: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        let body = try raw ?? json.map { try $0.canonicalBytes() }
        if body != nil { headers[.contentType] = "application/json" }
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        switch caller {
        case .none: break
        case .bearer(let key): headers[.authorization] = "Bearer \(key)"
        case .signed(let party, let keyName):
            let signature = Signing.headers(
                instance: fixture.service.instance, party: party, key: TestKeys.secretKey(keyName),
                method: method.rawValue, pathWithQuery: uri, timestamp: fixture.clock.now.milliseconds,
                nonce: "n-\(UUID().uuidString)", body: body ?? [])
            headers.append(contentsOf: signature)
        }
        let response = try await client.executeRequest(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        return Answer(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
    }

    // MARK: Steps of a scenario, each checked

    /// Registers a party over HTTP with the `TestKeys` key named `name`.
    func register(_ name: String, roles: [String] = ["agent", "provider"]) async throws -> (id: PartyID, apiKey: String)
    {
        let answer = try await send(
            .post, "/v1/parties", as: operatorCaller,
            json: [
                "name": .string(name), "roles": .array(roles.map { .string($0) }),
                "publicKey": .string(TestKeys.publicKey(name).base64),
            ])
        guard answer.status == .created, let id = answer.json["party"]?["id"]?.stringValue,
            let key = answer.json["apiKey"]?.stringValue
        else { throw TestFailure("register \(name): \(answer)") }
        return (try PartyID(validating: id), key)
    }

    /// Deposits as the operator.
    func deposit(_ party: PartyID, _ amount: UInt64, asset: String = "USDC") async throws {
        let answer = try await send(
            .post, "/v1/accounts/\(party)/deposits", as: operatorCaller,
            json: ["asset": .string(asset), "amount": .number(Double(amount))])
        guard answer.status == .ok else { throw TestFailure("deposit: \(answer)") }
    }

    /// Opens an escrow as `payerKey` and returns its ID.
    func open(payerKey: String, payee: PartyID, amount: UInt64, deliverInMs: Int64 = 3_600_000) async throws -> EscrowID
    {
        let answer = try await send(
            .post, "/v1/escrows", as: .bearer(payerKey),
            json: openBody(payee: payee, amount: amount, deliverInMs: deliverInMs))
        guard answer.status == .created, let id = answer.json["id"]?.stringValue else {
            throw TestFailure("open: \(answer)")
        }
        return try EscrowID(validating: id)
    }

    func openBody(payee: PartyID, amount: UInt64, deliverInMs: Int64 = 3_600_000) -> JSONValue {
        [
            "payee": .string(payee.rawValue), "amount": .number(Double(amount)), "asset": "USDC",
            "deliverBy": .number(Double(fixture.clock.now.milliseconds + deliverInMs)),
        ]
    }

    /// The `available` balance of `asset` in an account, read over HTTP as the operator.
    func available(_ party: PartyID, asset: String = "USDC") async throws -> UInt64 {
        let answer = try await send(.get, "/v1/accounts/\(party)", as: operatorCaller)
        guard answer.status == .ok, let balances = answer.json["balances"]?.arrayValue else {
            throw TestFailure("account: \(answer)")
        }
        let row = balances.first { $0["asset"]?.stringValue == asset }
        return row?["available"]?.uint64Value ?? 0
    }
}

/// Signature headers as a client computes them (the documented algorithm, written out independently of
/// the service's own `SignedRequest.signingText`): `kura-request-v2`, or with `instance: nil` the
/// deprecated `kura-request-v1`.
enum Signing {
    static func text(
        instance: String?, party: PartyID, method: String, pathWithQuery: String, timestamp: String, nonce: String,
        body: [UInt8]
    ) -> String {
        let lines = [method, pathWithQuery, timestamp, nonce, Hex.encode(SHA256.hash(body))]
        guard let instance else { return (["kura-request-v1"] + lines).joined(separator: "\n") }
        return (["kura-request-v2", instance, party.rawValue] + lines).joined(separator: "\n")
    }

    static func headers(
        instance: String?, party: PartyID, key: Ed25519.SecretKey, method: String, pathWithQuery: String,
        timestamp: Int64, nonce: String, body: [UInt8]
    ) -> HTTPFields {
        let text = text(
            instance: instance, party: party, method: method, pathWithQuery: pathWithQuery,
            timestamp: String(timestamp), nonce: nonce, body: body)
        return [
            HTTPField.Name("Kura-Party")!: party.rawValue,
            HTTPField.Name("Kura-Timestamp")!: String(timestamp),
            HTTPField.Name("Kura-Nonce")!: nonce,
            HTTPField.Name("Kura-Signature")!: Base64.encode(key.signature(for: Array(text.utf8))),
        ]
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
