import HTTPTypes
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting

/// A database with a payer holding 1 000 USDC, a payee, and one locked escrow of 100 between them,
/// all set up through the service (the HTTP layer is what the tests exercise).
struct Scenario: Sendable {
    let payer: PartyID
    let payerKey: String
    let payee: PartyID
    let payeeKey: String
    let operatorKey: String
    let locked: EscrowID
    let now: Int64

    static func make(_ fixture: HTTPFixture) async throws -> Scenario {
        let payer = try await fixture.db.register(name: "payer")
        let payee = try await fixture.db.register(name: "payee")
        try await fixture.db.deposit(party: payer.party, amount: 1_000)
        let escrow = try await fixture.service.openEscrow(
            OpenEscrowRequest(
                payee: payee.party.id, amount: try Amount(units: 100), asset: try Asset("USDC"),
                deliverBy: fixture.clock.now.adding(milliseconds: 3_600_000)),
            by: Principal(party: payer.party), idempotencyKey: nil)
        return Scenario(
            payer: payer.party.id, payerKey: payer.apiKey, payee: payee.party.id, payeeKey: payee.apiKey,
            operatorKey: fixture.operatorKey, locked: escrow.value.id, now: fixture.clock.now.milliseconds)
    }
}

/// A request to send, described without a client.
struct RequestSpec: Sendable {
    var method: HTTPRequest.Method
    var uri: String
    var caller: Caller
    var json: JSONValue?
    var raw: [UInt8]?
    var headers: HTTPFields = [:]

    init(
        _ method: HTTPRequest.Method, _ uri: String, as caller: Caller, json: JSONValue? = nil, raw: [UInt8]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.method = method
        self.uri = uri
        self.caller = caller
        self.json = json
        self.raw = raw
        self.headers = headers
    }
}

extension APIClient {
    func send(_ spec: RequestSpec) async throws -> Answer {
        try await send(spec.method, spec.uri, as: spec.caller, json: spec.json, raw: spec.raw, headers: spec.headers)
    }
}
