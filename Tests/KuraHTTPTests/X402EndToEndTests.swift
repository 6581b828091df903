import AsyncHTTPClient
import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraProvider
import KuraTesting
import KuraX402
import NIOHTTP1
import Testing

/// Issue 9 end to end: `kura serve`, the example provider's x402 route `/v1/forecast` (price 250 USDC units),
/// and the Swift X402Payer, each its own process or client on loopback.
@Suite("x402 end to end", .serialized)
struct X402EndToEndTests {
    struct World {
        let dir: TemporaryDirectory
        let kura: ServerProcess
        let provider: ServerProcess
        let agent: (id: PartyID, apiKey: String)
        let seller: (id: PartyID, apiKey: String)
        let stranger: (id: PartyID, apiKey: String)
        let operatorKey: String
        var forecast: String { "\(provider.url)/v1/forecast" }
        var agentClient: KuraClient { KuraClient(baseURL: kura.url, apiKey: agent.apiKey) }
        func available(_ party: PartyID) async throws -> UInt64 {
            try await KuraClient(baseURL: kura.url, apiKey: agent.apiKey).account(party).balances.first?.available ?? 0
        }
    }

    static let price: UInt64 = 250

    /// Kura, and the example provider settling `/v1/forecast`'s v2 payments in `order`.
    func world(_ order: X402SettlementOrder = .afterServing) async throws -> World {
        let dir = try TemporaryDirectory()
        let kura = try await ServerProcess.start(database: dir.path("x.sqlite"), in: dir)
        let operatorKey = try String(contentsOfFile: dir.path("x.sqlite.operator-key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = KuraClient(baseURL: kura.url, apiKey: operatorKey)
        func register(_ name: String, _ role: Party.Role) async throws -> (PartyID, String) {
            let registration = try await admin.registerParty(
                RegisterPartyRequest(name: name, roles: [role], publicKey: TestKeys.publicKey(name).base64))
            return (registration.party.id, try #require(registration.apiKey))
        }
        let agent = try await register("agent", .agent)
        let seller = try await register("provider", .provider)
        let stranger = try await register("stranger", .provider)
        _ = try await admin.deposit(
            FundsRequest(asset: try Asset("USDC"), amount: try Amount(units: 100_000)), to: agent.0)
        let provider = try await ServerProcess.launch(
            try KuraBinary.sibling("kura-example-provider"),
            [
                "--kura", kura.url, "--api-key", seller.1, "--provider", seller.0.rawValue, "--asset", "USDC",
                "--price", "7", "--journal", dir.path("provider.journal"), "--port", "0",
                "--forecast-price", "\(Self.price)", "--receipt-journal", dir.path("receipts.journal"),
                "--public-url", "http://provider.test", "--forecast-settlement", order.rawValue,
            ], name: "provider", in: dir)
        return World(
            dir: dir, kura: kura, provider: provider, agent: agent, seller: seller, stranger: stranger,
            operatorKey: operatorKey)
    }

    func payer(_ w: World, perCall: UInt64, escrow: UInt64 = 0) -> X402Payer {
        var limits = SpendingLimits()
        limits.perCall["USDC"] = perCall
        limits.perPeriod["USDC"] = 10_000
        limits.escrowPerCall["USDC"] = escrow
        return X402Payer(payer: w.agent.id, key: TestKeys.secretKey("agent"), limits: limits)
    }

    /// How many `/facilitator/verify` and `/facilitator/settle` requests Kura answered, from its `/metrics`.
    func facilitatorCalls(_ w: World) async throws -> (verify: Int, settle: Int) {
        let scrape = try await send("\(w.kura.url)/metrics", headers: [("Authorization", "Bearer \(w.operatorKey)")])
        func count(_ route: String) -> Int {
            scrape.body.split(separator: "\n")
                .filter { $0.hasPrefix("kura_http_requests_total{") && $0.contains("route=\"\(route)\"") }
                .reduce(0) { $0 + (Int($1.split(separator: " ").last ?? "") ?? 0) }
        }
        return (count(KuraAPI.x402Verify.path), count(KuraAPI.x402Settle.path))
    }

    func send(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws
        -> (status: Int, headers: HTTPHeaders, body: String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: HTTPFixture.requestTimeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }

    @Test(
        "unpaid → 402 with both header sets; exact within limits → 200 with PAYMENT-RESPONSE; refusals pay nothing",
        arguments: X402SettlementOrder.allCases)
    func exactAndRefusals(order: X402SettlementOrder) async throws {
        let w = try await world(order)
        defer { w.dir.remove() }
        for method in [HTTPMethod.GET, .HEAD] {
            let unpaid = try await send(w.forecast, method: method)
            #expect(unpaid.status == 402)
            let required = try X402Codec.decode(
                PaymentRequired.self, header: try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")))
            #expect(required.accepts.map(\.scheme) == ["exact", "escrow"])
            #expect(required.resource.url == "http://provider.test/v1/forecast")
            let seed = try SeedPaymentRequest.parse(SeedHeaders.lookup(unpaid.headers.map { ($0.name, $0.value) }))
            #expect(seed.amount.units == Self.price && seed.recipient == w.seller.id.rawValue)
        }

        let answer = try await payer(w, perCall: 1000).get(w.forecast)
        #expect(answer.status == 200 && answer.scheme == .exact, "\(answer.status)")
        #expect(answer.headers.first(name: "Cache-Control") == "no-store")
        let settlement = try #require(answer.settlement)
        #expect(settlement.success && !settlement.transaction.isEmpty)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("Tokyo"))
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price)

        // Over the limit, no escrow allowed: refused before paying.
        await #expect(throws: KuraClientError.self) { try await payer(w, perCall: 100).get(w.forecast) }

        // A forged signature and a malformed header: refused with their reasons, nothing paid.
        let unpaid = try await send(w.forecast)
        let required = try X402Codec.decode(
            PaymentRequired.self, header: try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")))
        let now = UInt64(Date().timeIntervalSince1970)
        let forged = try KuraScheme.pay(
            required.accepts[0], resource: required.resource, payer: w.agent.id.rawValue,
            key: TestKeys.secretKey("stranger"), nonce: SecureRandom.bytes(32), validAfter: EpochSeconds(now - 5)!,
            validBefore: EpochSeconds(now + 50)!)
        let refusedForged = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", try X402Codec.header(forged))])
        #expect(refusedForged.status == 402 && refusedForged.body.contains("invalid_exact_kura_payload_signature"))
        let malformed = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", "not base64!")])
        #expect(malformed.status == 400 && malformed.body.contains("invalid_payload"))

        // One authorization sent eight times at once: paid once.
        let genuine = try KuraScheme.pay(
            required.accepts[0], resource: required.resource, payer: w.agent.id.rawValue,
            key: TestKeys.secretKey("agent"), nonce: SecureRandom.bytes(32), validAfter: EpochSeconds(now - 5)!,
            validBefore: EpochSeconds(now + 50)!)
        let header = try X402Codec.header(genuine)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", header)]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(try await w.available(w.agent.id) == 100_000 - 2 * Self.price)
        // Settling after serving, the two served were verified and settled, the forged one (and any of the eight
        // that came after the first had finished) verified only; settling first, every one was a single call.
        let calls = try await facilitatorCalls(w)
        switch order {
        case .afterServing: #expect(calls.verify >= 3 && calls.settle == 2, "\(calls)")
        case .beforeServing: #expect(calls.verify == 0 && calls.settle >= 3, "\(calls)")
        }
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    /// The forecast route's 402 offer.
    func paymentRequired(_ w: World) async throws -> PaymentRequired {
        let unpaid = try await send(w.forecast)
        return try X402Codec.decode(
            PaymentRequired.self, header: try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")))
    }

    /// A `PAYMENT-SIGNATURE` header paying `required`'s first offer by the agent, with payment identifier `id`
    /// (echoing the offer's extension) and a fresh nonce, valid from 5 s ago for 50 s.
    func identifiedPayment(_ w: World, _ required: PaymentRequired, id: String, offer index: Int = 0) throws -> String {
        let offer = try #require(required.extensions?[PaymentIdentifier.name])
        let now = UInt64(Date().timeIntervalSince1970)
        return try X402Codec.header(
            try KuraScheme.pay(
                required.accepts[index], resource: required.resource, payer: w.agent.id.rawValue,
                key: TestKeys.secretKey("agent"), nonce: SecureRandom.bytes(32), validAfter: EpochSeconds(now - 5)!,
                validBefore: EpochSeconds(now + 50)!,
                extensions: [PaymentIdentifier.name: PaymentIdentifier.echo(offer, id: id)]))
    }

    @Test(
        "escrow: an identified repeat is served while its escrow stands delivered, not once the payer cancelled it",
        arguments: X402SettlementOrder.allCases)
    func cancelledEscrowNotServed(order: X402SettlementOrder) async throws {
        let w = try await world(order)
        defer { w.dir.remove() }
        let required = try await paymentRequired(w)
        let escrowOffer = try #require(required.accepts.firstIndex { $0.scheme == "escrow" })
        let header = try identifiedPayment(w, required, id: "pay_settled_then_cancelled", offer: escrowOffer)
        // The payer settles its own authorization (the facilitator's routes are public), then cancels the escrow
        // before anyone delivers: the money is back, so the provider must not serve on that payment.
        let payload = try X402Codec.decode(PaymentPayload.self, header: header)
        let settled = try await w.agentClient.x402Settle(
            FacilitatorRequest(paymentPayload: payload, paymentRequirements: required.accepts[escrowOffer]))
        #expect(settled.success)
        let id = try #require(EscrowID(settled.transaction))
        #expect(try await w.agentClient.perform(KuraAPI.cancelEscrow, at: id, EmptyRequest()).state == .cancelled)
        let answer = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", header)])
        #expect(answer.status == 402 && !answer.body.contains("Tokyo"), "\(answer.status) \(answer.body)")
        #expect(answer.body.contains("invalid_transaction_state"))
        #expect(try await w.agentClient.escrow(id).state == .cancelled)
        #expect(try await w.available(w.agent.id) == 100_000, "nothing paid")
        // A delivered escrow's identified repeat is still served: the delivery stands from its first serving.
        let served = try identifiedPayment(w, required, id: "pay_delivered_then_repeated", offer: escrowOffer)
        let first = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", served)])
        let again = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", served)])
        #expect(first.status == 200 && again.status == 200 && again.body.contains("Tokyo"))
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price, "paid once")
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    @Test(
        "payment identifier: the same payload again is served again and paid once; another payload is 409",
        arguments: X402SettlementOrder.allCases)
    func paymentIdentifier(order: X402SettlementOrder) async throws {
        let w = try await world(order)
        defer { w.dir.remove() }
        let required = try await paymentRequired(w)
        func payment(_ id: String) throws -> String { try identifiedPayment(w, required, id: id) }
        let header = try payment("pay_retry_after_a_lost_answer")
        let first = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", header)])
        let again = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", header)])
        #expect(first.status == 200 && again.status == 200 && again.body == first.body)
        #expect(again.headers.first(name: "PAYMENT-RESPONSE") == first.headers.first(name: "PAYMENT-RESPONSE"))
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price, "paid once")
        let other = try await send(
            w.forecast, headers: [("PAYMENT-SIGNATURE", try payment("pay_retry_after_a_lost_answer"))])
        #expect(other.status == 409 && other.body.contains("payment_identifier_conflict"))
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    @Test(
        "over the limit → escrow, delivered with the SHA-256 of the body; then confirm, and dispute",
        arguments: X402SettlementOrder.allCases)
    func escrow(order: X402SettlementOrder) async throws {
        let w = try await world(order)
        defer { w.dir.remove() }
        let payer = payer(w, perCall: 100, escrow: 1000)
        for outcome in ["confirm", "dispute"] {
            let answer = try await payer.get(w.forecast)
            #expect(answer.status == 200 && answer.scheme == .escrow)
            let settlement = try #require(answer.settlement)
            let id = try #require(EscrowID(settlement.transaction))
            let escrow = try await w.agentClient.escrow(id)
            #expect(escrow.state == .delivered && escrow.terms.amount.units == Self.price)
            #expect(escrow.evidence == Hex.encode(SHA256.hash(answer.body)))
            if outcome == "confirm" {
                #expect(
                    try await w.agentClient.perform(KuraAPI.confirmEscrow, at: id, EmptyRequest()).state == .released)
            } else {
                let body = DisputeRequest(reason: "the forecast was wrong", evidence: [])
                #expect(try await w.agentClient.perform(KuraAPI.disputeEscrow, at: id, body).state == .disputed)
            }
        }
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    @Test(
        "seed dialect: a Kura payment's record as receipt → 200 once; replay, underpayment, wrong payee, late, malformed refused"
    )
    func seed() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        func quote() async throws -> SeedPaymentRequest {
            let unpaid = try await send(w.forecast)
            return try SeedPaymentRequest.parse(SeedHeaders.lookup(unpaid.headers.map { ($0.name, $0.value) }))
        }
        func pay(_ id: String, _ amount: UInt64, to payee: PartyID) async throws -> String {
            let payment = try await w.agentClient.pay(
                PayRequest(payee: payee, amount: try Amount(units: amount), asset: try Asset("USDC"), paymentId: id))
            return Base64.encode(try JSONValue(encoding: payment).canonicalBytes())
        }
        func retry(_ receipt: String, _ id: String) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
            try await send(w.forecast, headers: [("X-Payment-Receipt", receipt), ("X-Payment-ID", id)])
        }
        let request = try await quote()
        let receipt = try await pay(request.paymentID, Self.price, to: w.seller.id)
        let paid = try await retry(receipt, request.paymentID)
        #expect(paid.status == 200 && paid.body.contains("Tokyo"))
        let replayed = try await retry(receipt, request.paymentID)
        #expect(replayed.status == 402 && replayed.body.contains("already used"))

        let under = try await quote()
        let underReceipt = try await pay(under.paymentID, Self.price - 1, to: w.seller.id)
        #expect(try await retry(underReceipt, under.paymentID).body.contains("authorization_value_mismatch"))
        let wrong = try await quote()
        let wrongReceipt = try await pay(wrong.paymentID, Self.price, to: w.stranger.id)
        #expect(try await retry(wrongReceipt, wrong.paymentID).body.contains("recipient_mismatch"))
        let lateID = "kura_1000_" + String(repeating: "ab", count: 16)
        let lateReceipt = try await pay(lateID, Self.price, to: w.seller.id)
        #expect(try await retry(lateReceipt, lateID).body.contains("authorization_valid_before"))
        #expect(try await retry("%%%", request.paymentID).status == 400)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}
