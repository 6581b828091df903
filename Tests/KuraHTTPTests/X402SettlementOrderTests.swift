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
    /// The middleware in `order` in front of `GET /v1/forecast` answering `status`; `runs` counts the route's calls.
    func paidRoute(
        _ w: World, _ order: X402SettlementOrder, status: HTTPResponse.Status, runs: RouteRuns? = nil
    ) async throws -> some ApplicationProtocol {
        let client = KuraClient(baseURL: w.kura.url, apiKey: w.seller.apiKey)
        let offer = try await X402Offer.fetch(
            from: client, payTo: w.seller.id, asset: try Asset("USDC"), price: try Amount(units: Self.price),
            baseURL: "http://provider.test")
        let router = Router()
        router.add(
            middleware: X402PaymentMiddleware(
                offer: offer, client: client, book: try X402ReceiptBook(journalPath: nil),
                logger: Logger(label: "test"), settlement: order))
        router.get("/v1/forecast") { _, _ in
            runs?.count.withLock { $0 += 1 }
            return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: "the forecast")))
        }
        return Application(router: router)
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

    @Test("a route that fails: settled after serving, nothing is paid; settled before, exact stays paid and says so")
    func failingRoute() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        for order in X402SettlementOrder.allCases {
            let before = try await w.available(w.agent.id)
            try await paidRoute(w, order, status: .internalServerError).test(.router) { client in
                let unpaid = try await client.execute(uri: "/v1/forecast", method: .get)
                #expect(unpaid.status.code == 402)
                let required = try X402Codec.decode(
                    PaymentRequired.self, header: try #require(unpaid.headers[X402Header.paymentRequired]))
                let answer = try await client.execute(
                    uri: "/v1/forecast", method: .get, headers: try authorization(w, required, scheme: 0))
                #expect(answer.status == .internalServerError)
                switch order {
                case .afterServing:
                    #expect(answer.headers[X402Header.paymentResponse] == nil)
                    #expect(try await w.available(w.agent.id) == before)
                case .beforeServing:
                    let settlement = try X402Codec.decode(
                        SettleResponse.self, header: try #require(answer.headers[X402Header.paymentResponse]))
                    #expect(settlement.success)
                    #expect(try await w.available(w.agent.id) == before - Self.price)
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
        try await paidRoute(w, .beforeServing, status: .internalServerError).test(.router) { client in
            let unpaid = try await client.execute(uri: "/v1/forecast", method: .get)
            let required = try X402Codec.decode(
                PaymentRequired.self, header: try #require(unpaid.headers[X402Header.paymentRequired]))
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

    @Test("a refused payment never runs the route, in either order", arguments: X402SettlementOrder.allCases)
    func refusedNeverServes(order: X402SettlementOrder) async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let runs = RouteRuns()
        try await paidRoute(w, order, status: .ok, runs: runs).test(.router) { client in
            let unpaid = try await client.execute(uri: "/v1/forecast", method: .get)
            let required = try X402Codec.decode(
                PaymentRequired.self, header: try #require(unpaid.headers[X402Header.paymentRequired]))
            let forgery = try authorization(w, required, scheme: 0, signer: "stranger")
            let forged = try await client.execute(uri: "/v1/forecast", method: .get, headers: forgery)
            #expect(forged.status.code == 402)
            #expect(String(buffer: forged.body).contains("invalid_exact_kura_payload_signature"))
            let genuine = try authorization(w, required, scheme: 0)
            let paid = try await client.execute(uri: "/v1/forecast", method: .get, headers: genuine)
            #expect(paid.status == .ok && paid.headers[.cacheControl] == "no-store")
            #expect(String(buffer: paid.body) == "the forecast")
            let replayed = try await client.execute(uri: "/v1/forecast", method: .get, headers: genuine)
            #expect(replayed.status.code == 402 && String(buffer: replayed.body).contains("nonce"))
        }
        #expect(runs.count.withLock { $0 } == 1, "only the genuine payment ran the route")
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}

/// How many times a test's route ran.
final class RouteRuns: Sendable {
    let count = Mutex(0)
}
