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

extension X402EndToEndTests {
    /// An adversarial review's finding: a v2 payment whose (payer-chosen, unsigned) payment identifier had the seed
    /// dialect's form `kura_<deadline>_<hex>` was served, and the payment record it left, whose `paymentId` is that
    /// identifier, then passed every check of the seed dialect as `X-Payment-Receipt`: one payment, two servings,
    /// in both settlement orders. The middleware now refuses such an identifier before anything is settled.
    @Test(
        "a v2 payment with a seed-form identifier is refused unpaid, so no record of it can be shown as a seed receipt",
        arguments: X402SettlementOrder.allCases)
    func seedFormIdentifierRefused(order: X402SettlementOrder) async throws {
        let w = try await world(order)
        defer { w.dir.remove() }
        let required = try await paymentRequired(w)
        func header(identifier: String) throws -> String { try identifiedPayment(w, required, id: identifier) }
        let now = UInt64(Date().timeIntervalSince1970)
        let seedForm = "kura_\(now + 300)_" + Hex.encode(SecureRandom.bytes(16))
        let before = try await w.available(w.agent.id)
        let refused = try await send(w.forecast, headers: [("PAYMENT-SIGNATURE", try header(identifier: seedForm))])
        #expect(refused.status == 402, "\(refused.status)")
        #expect(try await w.available(w.agent.id) == before, "nothing was paid")
        await #expect(throws: KuraClientError.self) { try await w.agentClient.payment(seedForm, payer: w.agent.id) }
        // Any other identifier is served and paid once, as before.
        let paid = try await send(
            w.forecast,
            headers: [("PAYMENT-SIGNATURE", try header(identifier: "pay_" + Hex.encode(SecureRandom.bytes(16))))])
        #expect(paid.status == 200, "\(paid.status)")
        #expect(try await w.available(w.agent.id) == before - Self.price)
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}
