import Foundation
import HTTPTypes
import HummingbirdTesting
import KuraClient
import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

@Suite("x402 facilitator routes and spending limits")
struct X402FacilitatorRoutesTests {
    @Test("supported lists both schemes on kura:<key ID>; verify and settle answer 200 even for a malformed body")
    func routes() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let network = fixture.service.x402Network.id
            let supported = try await api.send(.get, "/facilitator/supported")
            #expect(supported.status == .ok)
            let kinds = supported.json["kinds"]?.arrayValue ?? []
            #expect(kinds.map { $0["scheme"]?.stringValue } == ["exact", "escrow"])
            #expect(kinds.allSatisfy { $0["network"]?.stringValue == network && $0["x402Version"] == 2 })
            #expect(supported.json["extensions"] == ["payment-identifier"])
            #expect(
                supported.json["signers"]?["kura:*"]?.arrayValue?.first?.stringValue
                    == fixture.service.signer.key.publicKey.base64)

            let before = try await fixture.seq()
            for (body, reason) in [
                ("{", "invalid_payload"), (#"{"x402Version":1}"#, "invalid_x402_version"),
                (#"{"x402Version":2}"#, "invalid_payload"),
            ] {
                let verify = try await api.send(.post, "/facilitator/verify", raw: Array(body.utf8))
                #expect(verify.status == .ok && verify.json["isValid"] == false)
                #expect(verify.json["invalidReason"]?.stringValue == reason, "\(body)")
                let settle = try await api.send(.post, "/facilitator/settle", raw: Array(body.utf8))
                #expect(settle.status == .ok && settle.json["success"] == false && settle.json["transaction"] == "")
                #expect(
                    settle.json["errorReason"]?.stringValue == reason && settle.json["network"]?.stringValue == network)
            }
            #expect(try await fixture.seq() == before)

            // A real payment over HTTP, by a caller with no credentials: the signature is the authority.
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 10_000)
            let requirements = PaymentRequirements(
                scheme: "exact", network: network, amount: X402Amount(units: 1000)!, asset: "USDC",
                payTo: payee.id.rawValue, maxTimeoutSeconds: 60)
            let now = UInt64(fixture.clock.now.milliseconds / 1000)
            let payload = try KuraScheme.pay(
                requirements, resource: ResourceInfo(url: "https://provider.example/a"), payer: payer.id.rawValue,
                key: TestKeys.secretKey("payer"), nonce: [UInt8](repeating: 7, count: 32),
                validAfter: EpochSeconds(now)!, validBefore: EpochSeconds(now + 30)!)
            let body = try X402Codec.json(
                FacilitatorRequest(paymentPayload: payload, paymentRequirements: requirements))
            let verified = try await api.send(.post, "/facilitator/verify", raw: body)
            #expect(verified.json["isValid"] == true && verified.json["payer"]?.stringValue == payer.id.rawValue)
            let settled = try await api.send(.post, "/facilitator/settle", raw: body)
            #expect(settled.status == .ok && settled.json["success"] == true, "\(settled)")
            let again = try await api.send(.post, "/facilitator/settle?repeat=answer", raw: body)
            #expect(again.json == settled.json)
            let refused = try await api.send(.post, "/facilitator/settle", raw: body)
            #expect(refused.status == .ok && refused.json["success"] == false, "a repeat is refused by default")
            #expect(try await api.available(payee.id) == 999)
        }
    }

    @Test("limits: per call, per period, per payee, per asset; over them only as an escrow within its own limit")
    func limits() {
        var limits = SpendingLimits()
        limits.perCall["USDC"] = 100
        limits.perPeriod["USDC"] = 250
        limits.perPayee["USDC"] = 150
        limits.escrowPerCall["USDC"] = 500
        limits.periodMs = 1000
        let spent = [
            SpendingLimits.Spend(at: 100, payee: "a", asset: "USDC", amount: 100),
            SpendingLimits.Spend(at: 200, payee: "b", asset: "USDC", amount: 100),
        ]
        #expect(limits.decide(amount: 50, asset: "USDC", payee: "a", now: 300, spent: spent) == .withinLimits)
        #expect(limits.decide(amount: 50, asset: "USDC", payee: "c", now: 300, spent: spent) == .withinLimits)
        guard case .escrowOnly = limits.decide(amount: 60, asset: "USDC", payee: "a", now: 300, spent: spent) else {
            Issue.record("per payee")
            return
        }
        guard case .escrowOnly = limits.decide(amount: 60, asset: "USDC", payee: "c", now: 300, spent: spent) else {
            Issue.record("per period")
            return
        }
        guard case .escrowOnly = limits.decide(amount: 101, asset: "USDC", payee: "c", now: 300, spent: []) else {
            Issue.record("per call")
            return
        }
        // The period rolls: what was spent before now − period no longer counts.
        #expect(limits.decide(amount: 100, asset: "USDC", payee: "a", now: 1150, spent: spent) == .withinLimits)
        guard case .refused = limits.decide(amount: 501, asset: "USDC", payee: "c", now: 300, spent: []) else {
            Issue.record("over the escrow limit")
            return
        }
        guard case .refused = limits.decide(amount: 1, asset: "EURC", payee: "c", now: 300, spent: []) else {
            Issue.record("an asset with no limits")
            return
        }
    }
}
