import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraProvider
import KuraTesting
import KuraX402
import Testing

extension X402EndToEndTests {
    /// An adversarial review's finding: a seed receipt never expired. Its payment ID's deadline was only compared
    /// with when it settled, and the payer may choose the ID itself (its form is all that is checked), so a payment
    /// whose ID named a deadline years away, or a receipt kept from long ago, was good for as long as a provider's
    /// receipt book forgot it (a restart without a journal, another replica). A receipt is now refused when its
    /// deadline lies further after its payment than this provider quotes, and once its deadline is as long past.
    @Test("a seed receipt is refused when its deadline is further out than quoted, and long after its deadline")
    func seedReceiptLifetime() async throws {
        let w = try await world()
        defer { w.dir.remove() }
        let offer = try await X402Offer.fetch(
            from: KuraClient(baseURL: w.kura.url, apiKey: w.seller.apiKey), payTo: w.seller.id,
            asset: try Asset("USDC"), price: try Amount(units: Self.price), baseURL: "http://provider.test")
        func pay(_ id: String) async throws -> SeedPaymentRetry {
            let payment = try await w.agentClient.pay(
                PayRequest(
                    payee: w.seller.id, amount: try Amount(units: Self.price), asset: try Asset("USDC"),
                    paymentId: id))
            return SeedPaymentRetry(
                receipt: Base64.encode(try JSONValue(encoding: payment).canonicalBytes()), paymentID: id)
        }
        let now = Date()
        let farOut =
            "kura_\(UInt64(now.timeIntervalSince1970) + 10 * 365 * 86_400)_" + Hex.encode(SecureRandom.bytes(16))
        let chosen = try await pay(farOut)
        #expect(throws: X402Refusal.self) { try offer.checkSeedReceipt(chosen, now: now) }
        let answer = try await send(w.forecast, headers: chosen.headers.map { ($0.name, $0.value) })
        #expect(answer.status == 402, "\(answer.status) \(answer.body)")

        // A provider whose clock runs a minute ahead of Kura's quotes a deadline a minute further out: its payer,
        // who paid at once, is still served (review of this fix).
        let ahead = try await pay(offer.seedRequest(now: now.addingTimeInterval(60)).paymentID)
        #expect(throws: Never.self) { try offer.checkSeedReceipt(ahead, now: now) }
        let quoted = try await pay(offer.seedRequest(now: now).paymentID)
        #expect(throws: Never.self) { try offer.checkSeedReceipt(quoted, now: now) }
        let late = now.addingTimeInterval(Double(2 * offer.seedDeadlineSeconds + 1))
        #expect(throws: X402Refusal.self) { try offer.checkSeedReceipt(quoted, now: late) }
        #expect(try await w.provider.terminate() == 0)
        #expect(try await w.kura.terminate() == 0)
    }
}
