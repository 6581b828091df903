import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraClient
import KuraCore
import KuraCrypto
import KuraProvider
import KuraTesting
import KuraX402
import Logging
import Synchronization
import Testing

/// ``X402PaymentMiddleware`` in this process, in front of routes the example provider does not have, against
/// the world's `kura serve`: what each ``X402SettlementOrder`` does when the route fails or the payment is
/// refused.
extension X402EndToEndTests {
    typealias Route = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// The middleware in `order` (with a receipt book of its own, as another provider process has) in front of
    /// `GET /v1/forecast` answered by `route`.
    func paidRoute(_ w: World, _ order: X402SettlementOrder, route: @escaping Route) async throws
        -> some ApplicationProtocol
    {
        let client = KuraClient(baseURL: w.kura.url, apiKey: w.seller.apiKey)
        let offer = try await X402Offer.fetch(
            from: client, payTo: w.seller.id, asset: try Asset("USDC"), price: try Amount(units: Self.price),
            baseURL: "http://provider.test")
        let router = Router()
        router.add(
            middleware: X402PaymentMiddleware(
                offer: offer, client: client, book: try X402ReceiptBook(journalPath: nil),
                logger: .quiet("test"), settlement: order))
        router.get("/v1/forecast", use: route)
        router.post("/v1/forecast", use: route)
        return Application(router: router)
    }

    /// A route answering `status` with a short body, counting its calls in `runs`.
    static func answering(_ status: HTTPResponse.Status, runs: RouteRuns? = nil) -> Route {
        { _, _ in
            runs?.count.withLock { $0 += 1 }
            return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: "the forecast")))
        }
    }

    /// The route's 402: its offers and resource.
    func required(_ client: some TestClientProtocol) async throws -> PaymentRequired {
        let unpaid = try await client.execute(uri: "/v1/forecast", method: .get)
        #expect(unpaid.status.code == 402)
        return try X402Codec.decode(
            PaymentRequired.self, header: try #require(unpaid.headers[X402Header.paymentRequired]))
    }

    /// A fresh authorization of the route's offer `scheme` (`exact` first, `escrow` second), signed by `signer`.
    func authorization(_ w: World, _ required: PaymentRequired, scheme index: Int, signer: String = "agent") throws
        -> HTTPFields
    {
        let now = UInt64(Date().timeIntervalSince1970)
        let payment = try KuraScheme.pay(
            required.accepts[index], resource: required.resource, payer: w.agent.id.rawValue,
            key: TestKeys.secretKey(signer), nonce: SecureRandom.bytes(32), validAfter: EpochSeconds(now - 5)!,
            validBefore: EpochSeconds(now + 50)!)
        return [X402Header.paymentSignature: try X402Codec.header(payment)]
    }

    /// Three ways a route fails: an error answer, a thrown error, a 200 whose body fails while it is written.
    static let failures: [(name: String, route: Route)] = [
        ("a 500", answering(.internalServerError)),
        ("a thrown error", { _, _ in throw HTTPError(.internalServerError) }),
        (
            "a body that fails",
            { _, _ in Response(status: .ok, body: ResponseBody { _ in throw HTTPError(.badGateway) }) }
        ),
    ]

    @Test("a route that fails: settled after serving, nothing is paid; settled before, exact stays paid and says so")
    func failingRoute() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        for order in X402SettlementOrder.allCases {
            for failure in Self.failures {
                let before = try await w.available(w.agent.id)
                try await paidRoute(w, order, route: failure.route).test(.router) { client in
                    let required = try await required(client)
                    let answer = try await client.execute(
                        uri: "/v1/forecast", method: .get, headers: try authorization(w, required, scheme: 0))
                    #expect(answer.status.code >= 500, "\(order) \(failure.name)")
                    switch order {
                    case .afterServing:
                        #expect(answer.headers[X402Header.paymentResponse] == nil, "\(failure.name)")
                        #expect(try await w.available(w.agent.id) == before, "\(failure.name) costs nothing")
                    case .beforeServing:
                        let header = try #require(answer.headers[X402Header.paymentResponse], "\(failure.name)")
                        #expect(try X402Codec.decode(SettleResponse.self, header: header).success)
                        #expect(try await w.available(w.agent.id) == before - Self.price, "\(failure.name)")
                    }
                }
            }
        }
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    @Test("a route that fails, settled before serving under escrow: the escrow stays locked, not delivered")
    func failingRouteEscrow() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        try await paidRoute(w, .beforeServing, route: Self.answering(.internalServerError)).test(.router) { client in
            let required = try await required(client)
            #expect(required.accepts[1].scheme == "escrow")
            let answer = try await client.execute(
                uri: "/v1/forecast", method: .get, headers: try authorization(w, required, scheme: 1))
            #expect(answer.status == .internalServerError)
            let settlement = try X402Codec.decode(
                SettleResponse.self, header: try #require(answer.headers[X402Header.paymentResponse]))
            let escrow = try await w.agentClient.escrow(try #require(EscrowID(settlement.transaction)))
            #expect(escrow.state == .locked && escrow.evidence == nil)
        }
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    /// The replay goes to another middleware (another provider process): Kura refuses it, not the in-use mark.
    @Test("a refused payment never runs the route, in either order", arguments: X402SettlementOrder.allCases)
    func refusedNeverServes(order: X402SettlementOrder) async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let runs = RouteRuns()
        let first = try await paidRoute(w, order, route: Self.answering(.ok, runs: runs))
        let second = try await paidRoute(w, order, route: Self.answering(.ok, runs: runs))
        try await first.test(.router) { client in
            let required = try await required(client)
            let forgery = try authorization(w, required, scheme: 0, signer: "stranger")
            let forged = try await client.execute(uri: "/v1/forecast", method: .get, headers: forgery)
            #expect(forged.status.code == 402)
            #expect(String(buffer: forged.body).contains("invalid_exact_kura_payload_signature"))
            let genuine = try authorization(w, required, scheme: 0)
            let paid = try await client.execute(uri: "/v1/forecast", method: .get, headers: genuine)
            #expect(paid.status == .ok && paid.headers[.cacheControl] == "no-store")
            #expect(String(buffer: paid.body) == "the forecast")
            try await second.test(.router) { other in
                let replayed = try await other.execute(uri: "/v1/forecast", method: .get, headers: genuine)
                #expect(replayed.status.code == 402 && String(buffer: replayed.body).contains("already settled"))
            }
        }
        #expect(runs.count.withLock { $0 } == 1, "only the genuine payment ran the route")
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    /// Two provider processes get one authorization at once. Settling after serving, both verify it before either
    /// settles (the route holds each until both are in it, or two seconds): Kura settles it once and refuses the
    /// other settle, so one of them answers 402.
    @Test(
        "one authorization at two provider processes at once: served once, paid once",
        arguments: X402SettlementOrder.allCases)
    func twoProcesses(order: X402SettlementOrder) async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let inside = RouteRuns()
        let route: Route = { request, context in
            inside.count.withLock { $0 += 1 }
            for _ in 0..<200 where inside.count.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            return try await Self.answering(.ok)(request, context)
        }
        let first = try await paidRoute(w, order, route: route)
        let second = try await paidRoute(w, order, route: route)
        try await first.test(.router) { one in
            try await second.test(.router) { two in
                let header = try authorization(w, try await required(one), scheme: 0)
                async let a = one.execute(uri: "/v1/forecast", method: .get, headers: header)
                async let b = two.execute(uri: "/v1/forecast", method: .get, headers: header)
                let statuses = [try await a.status.code, try await b.status.code].sorted()
                #expect(statuses == [200, 402], "\(statuses)")
            }
        }
        #expect(inside.count.withLock { $0 } == (order == .afterServing ? 2 : 1))
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}

extension X402EndToEndTests {
    /// An adversarial review's finding: an identified payment's repeat was served again whatever was asked with
    /// it (the resource is the path; the query, method and body were no part of it), so one payment bought every
    /// request its payer cared to send until the authorization's window closed. A repeat is now served only for
    /// the request it was first served for; another is the extension's conflict, 409, and costs nothing more.
    @Test(
        "an identified payment's repeat is served for the same request only, never for another",
        arguments: X402SettlementOrder.allCases)
    func identifiedRepeatServesOneRequest(order: X402SettlementOrder) async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let runs = RouteRuns()
        try await paidRoute(w, order, route: Self.answering(.ok, runs: runs)).test(.router) { client in
            let required = try await required(client)
            func send(_ method: HTTPRequest.Method, _ uri: String, _ header: String, body: String? = nil)
                async throws -> Int
            {
                let answer = try await client.execute(
                    uri: uri, method: method, headers: [X402Header.paymentSignature: header],
                    body: body.map { ByteBuffer(string: $0) })
                return Int(answer.status.code)
            }
            let query = try identifiedPayment(w, required, id: "pay_one_query_string")
            #expect(try await send(.get, "/v1/forecast?city=Tokyo", query) == 200)
            #expect(try await send(.get, "/v1/forecast?city=Tokyo", query) == 200, "the same request again")
            #expect(try await send(.get, "/v1/forecast?city=Paris", query) == 409, "another query")
            #expect(try await send(.post, "/v1/forecast?city=Tokyo", query) == 409, "another method")
            // A header the payer did not sign is remembered for nothing (review of this fix): the payer's own
            // payment with the same nonce is served for its own request.
            let nonce = SecureRandom.bytes(32)
            func signed(_ id: String, by signer: String) throws -> String {
                let offer = try #require(required.extensions?[PaymentIdentifier.name])
                let now = UInt64(Date().timeIntervalSince1970)
                return try X402Codec.header(
                    try KuraScheme.pay(
                        required.accepts[0], resource: required.resource, payer: w.agent.id.rawValue,
                        key: TestKeys.secretKey(signer), nonce: nonce, validAfter: EpochSeconds(now - 5)!,
                        validBefore: EpochSeconds(now + 50)!,
                        extensions: [PaymentIdentifier.name: PaymentIdentifier.echo(offer, id: id)]))
            }
            #expect(
                try await send(.get, "/v1/forecast?city=Paris", try signed("pay_forged_by_another", by: "stranger"))
                    == 402)
            #expect(
                try await send(.get, "/v1/forecast?city=Lima", try signed("pay_the_payers_own_one", by: "agent")) == 200
            )
            let body = try identifiedPayment(w, required, id: "pay_one_request_body")
            #expect(try await send(.post, "/v1/forecast", body, body: "Tokyo") == 200)
            #expect(try await send(.post, "/v1/forecast", body, body: "Tokyo") == 200, "the same body again")
            #expect(try await send(.post, "/v1/forecast", body, body: "Paris") == 409, "another body")
        }
        #expect(runs.count.withLock { $0 } == 5, "each payment's one request, twice, and the payer's own once")
        #expect(try await w.available(w.agent.id) == 100_000 - 3 * Self.price, "three payments, each paid once")
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}

/// How many times a test's route ran.
final class RouteRuns: Sendable {
    let count = Mutex(0)
}
