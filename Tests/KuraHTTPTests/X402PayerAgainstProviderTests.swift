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
import Synchronization
import Testing

/// ``X402Payer`` against providers that settle its authorization through Kura (the facilitator's routes are
/// public) and then answer something else: a lying provider, and one whose answer was lost in an outage.
extension X402EndToEndTests {
    /// What the stand-in provider answers once it has settled a payment.
    enum AfterSettling: Sendable {
        /// 402 without `PAYMENT-RESPONSE`, every time: the provider says it was not paid.
        case claimUnpaid
        /// 503 the first time (its answer lost to an outage), then 200 with the settlement.
        case unavailableOnce
        /// 500 without settling, as the route's own failure is passed through when settling after serving.
        case routeFails
    }

    /// A provider at `/v1/forecast` that quotes the example provider's 402, settles every `PAYMENT-SIGNATURE`
    /// through Kura with the first offer, records the header, and answers as `behaviour` says.
    func settlingProvider(
        _ w: World, _ behaviour: AfterSettling, seen: SeenHeaders, maxTimeoutSeconds: UInt64? = nil
    ) async throws -> some ApplicationProtocol {
        let unpaid = try await send(w.forecast)
        var required = try X402Codec.decode(
            PaymentRequired.self, header: try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")))
        if let maxTimeoutSeconds {
            for index in required.accepts.indices { required.accepts[index].maxTimeoutSeconds = maxTimeoutSeconds }
        }
        let quote = try X402Codec.header(required)
        let offer = required.accepts[0]
        let kura = KuraClient(baseURL: w.kura.url, apiKey: nil)
        let router = Router()
        router.get("/v1/forecast") { request, _ -> Response in
            guard let header = request.headers[X402Header.paymentSignature] else {
                return Response(status: .init(code: 402), headers: [X402Header.paymentRequired: quote])
            }
            let repeats = seen.headers.withLock { seen in
                seen.append(header)
                return seen.filter { $0 == header }.count
            }
            if case .routeFails = behaviour { return Response(status: .internalServerError) }
            let payload = try X402Codec.decode(PaymentPayload.self, header: header)
            let settlement = try await kura.x402Settle(
                FacilitatorRequest(paymentPayload: payload, paymentRequirements: offer),
                repeats: .answer)
            switch behaviour {
            case .claimUnpaid:
                return Response(status: .init(code: 402), headers: [X402Header.paymentRequired: quote])
            case .unavailableOnce where repeats == 1:
                return Response(status: .serviceUnavailable)
            case .unavailableOnce, .routeFails:
                return Response(
                    status: .ok, headers: [X402Header.paymentResponse: try X402Codec.header(settlement)],
                    body: .init(byteBuffer: ByteBuffer(string: "the forecast")))
            }
        }
        return Application(router: router)
    }

    /// An adversarial review's finding: the payer took the provider's word that a payment had not settled and
    /// forgot its spend, though the provider holds the authorization and may settle it whatever it answers; so a
    /// provider that settles and answers 402 drew on the agent past its limits, call after call. Every
    /// authorization handed out now counts against the limits.
    @Test("a provider that settles and answers 402 cannot take the payer past its limits")
    func lyingProviderKeptWithinLimits() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let seen = SeenHeaders()
        var limits = SpendingLimits()
        limits.perCall["USDC"] = Self.price
        limits.perPeriod["USDC"] = Self.price
        let payer = X402Payer(payer: w.agent.id, key: TestKeys.secretKey("agent"), limits: limits)
        try await settlingProvider(w, .claimUnpaid, seen: seen).test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/v1/forecast"
            #expect(try await payer.get(url).status == 402)
            for _ in 1...2 {
                await #expect(throws: KuraClientError.self) { try await payer.get(url) }
            }
        }
        #expect(seen.headers.withLock { $0.count } == 1, "one authorization handed out")
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price, "within the limit")
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    /// An adversarial review's finding: a 402 whose `maxTimeoutSeconds` was near its limit (9,007,199,254,740 s)
    /// made the payer's `validBefore` overflow its range, and a force-unwrap crashed the agent's process. The payer
    /// now signs for at most ``X402Payer/maxValiditySeconds``, however long a provider would take its authorization.
    @Test("a 402 asking for an authorization valid for ages gets one valid for minutes, and no crash")
    func longTimeoutCapped() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let seen = SeenHeaders()
        let payer = payer(w, perCall: Self.price)
        let provider = try await settlingProvider(w, .claimUnpaid, seen: seen, maxTimeoutSeconds: 9_007_199_254_740)
        try await provider.test(.live) { client in
            _ = try await payer.get("http://127.0.0.1:\(try #require(client.port))/v1/forecast")
        }
        let header = try #require(seen.headers.withLock { $0.first })
        let proof = try KuraPaymentProof.parse(try X402Codec.decode(PaymentPayload.self, header: header).payload)
        let now = UInt64(Date().timeIntervalSince1970)
        #expect(proof.authorization.validBefore.seconds <= now + X402Payer.maxValiditySeconds)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }

    /// An adversarial review's finding: a provider answers 503 without `PAYMENT-RESPONSE` when its settle call
    /// failed, and Kura may have settled by then. The payer returned that 503 and forgot the spend, so the agent's
    /// next call paid again with a new authorization. It now sends the very same header again, as after a
    /// transport failure: Kura settles it at most once.
    @Test("after a provider's 503 the payer resends the same authorization, and pays once")
    func unavailableProviderPaidOnce() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let seen = SeenHeaders()
        let payer = payer(w, perCall: Self.price)
        try await settlingProvider(w, .unavailableOnce, seen: seen).test(.live) { client in
            let answer = try await payer.get("http://127.0.0.1:\(try #require(client.port))/v1/forecast")
            #expect(answer.status == 200 && answer.settlement?.success == true, "\(answer.status)")
        }
        let headers = seen.headers.withLock { $0 }
        #expect(headers.count == 2 && Set(headers).count == 1, "the same header twice")
        #expect(try await w.available(w.agent.id) == 100_000 - Self.price, "paid once")
        // A route's own 500 (nothing settled when settling after serving) is answered, not run again (review of
        // this fix).
        let failing = SeenHeaders()
        try await settlingProvider(w, .routeFails, seen: failing).test(.live) { client in
            let answer = try await payer.get("http://127.0.0.1:\(try #require(client.port))/v1/forecast")
            #expect(answer.status == 500)
        }
        #expect(failing.headers.withLock { $0.count } == 1, "sent once")
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}

/// The `PAYMENT-SIGNATURE` headers a stand-in provider received, in order.
final class SeenHeaders: Sendable {
    let headers = Mutex<[String]>([])
}
