import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// The paid path's messages read themselves from their members (`X402Message+Reading.swift`); `Decodable` through
/// `JSONValueDecoder` is the reference. A reader may give up where `Decodable` reads (it then reads), but whatever
/// it reads must be what `Decodable` reads, and what `Decodable` refuses it must not read.
@Suite("x402 messages read member by member, against Decodable")
struct MessageReadingTests {
    static func settleResponse(_ rng: inout SplitMix64) -> SettleResponse {
        let success = Bool.random(using: &rng)
        return SettleResponse(
            success: success, errorReason: success ? nil : .insufficientFunds,
            errorMessage: Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil,
            payer: Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil, transaction: PaymentSamples.text(&rng),
            network: PaymentSamples.text(&rng),
            amount: Bool.random(using: &rng) ? X402Amount(units: PaymentSamples.units(&rng)) : nil,
            extensions: Bool.random(using: &rng) ? PaymentSamples.object(&rng) : nil)
    }

    static func verifyResponse(_ rng: inout SplitMix64) -> VerifyResponse {
        let payer = Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil
        guard Bool.random(using: &rng) else { return .valid(payer: payer) }
        let message = Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil
        return .invalid(X402Reason(rawValue: PaymentSamples.text(&rng)), message, payer: payer)
    }

    @Test("2,000 seeded messages of each kind, as written and with members mutated: what Decodable reads")
    func seededMessages() throws {
        var rng = SplitMix64(seed: 0x7265_6164)
        var tally = JSONReadingCheck()
        for _ in 0..<2_000 {
            let payment = PaymentSamples.payment(&rng)
            try tally.check(payment, &rng)
            try tally.check(payment.accepted, &rng)
            try tally.check(PaymentSamples.resource(&rng), &rng)
            let requirements = PaymentSamples.requirements(&rng)
            try tally.check(FacilitatorRequest(paymentPayload: payment, paymentRequirements: requirements), &rng)
            let authorization = PaymentSamples.authorization(&rng)
            try tally.check(authorization, &rng)
            try tally.check(PaymentSamples.authorization(&rng, every: true).extra!, &rng)
            try tally.check(
                KuraPaymentProof(signature: PaymentSamples.text(&rng), authorization: authorization), &rng)
            try tally.check(Self.settleResponse(&rng), &rng)
            try tally.check(Self.verifyResponse(&rng), &rng)
        }
        let mismatches = tally.mismatches.count
        #expect(mismatches == 0, "\(tally.mismatches.prefix(3))")
        // Both outcomes are exercised, and the reader gives up rarely where Decodable reads.
        #expect(tally.read > 10_000 && tally.refused > 10_000, "\(tally.read) read, \(tally.refused) refused")
        #expect(tally.leftToDecodable * 100 < tally.read, "\(tally.leftToDecodable) left to Decodable")
    }

    @Test("an x402 refusal is worded as before: the reader gives up and Decodable refuses")
    func refusalsUnchanged() throws {
        let header = try X402Codec.header(try X402Examples.payment(X402Examples.exact))
        var json = try JSONValue.parse(Base64.decode(header)!)
        json = json.setting(["accepted", "maxTimeoutSeconds"], "60")
        do {
            _ = try X402Codec.decode(PaymentPayload.self, value: json)
            Issue.record("read a string timeout")
        } catch {
            #expect(error.reason == .invalidPayload)
            #expect("\(error)".contains("maxTimeoutSeconds"), "\(error)")
        }
    }
}
