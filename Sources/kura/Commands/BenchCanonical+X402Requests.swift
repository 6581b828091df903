import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402

extension BenchCanonical {
    /// What the JSON of one paid x402 `exact` request costs, settled first, on each side of the call. Kura reads the
    /// settle request, makes its canonical parts, reads the proof and makes the signed bytes; a provider reads the
    /// `PAYMENT-SIGNATURE` header, writes the settle request and reads the answer. The baseline is how both were
    /// done before the messages read and wrote themselves: through `Decodable`, and `Encodable` and a `JSONValue`.
    func facilitatorRequests(count: Int) throws {
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 7, count: 32))
        let provider = "pty_" + Base58.encode(SHA256.hash(Array("provider".utf8)).prefix(16))
        let payer = "pty_" + Base58.encode(SHA256.hash(Array("payer".utf8)).prefix(16))
        let calls = try (0..<count).map { n throws in
            let requirements = PaymentRequirements(
                scheme: "exact", network: "kura:cf36394f", amount: X402Amount(units: UInt64(250 + n % 1000))!,
                asset: "USDC", payTo: provider, maxTimeoutSeconds: 60)
            let payment = try KuraScheme.pay(
                requirements, resource: ResourceInfo(url: "http://bench.provider/v1/forecast?n=\(n)"), payer: payer,
                key: key, nonce: SHA256.hash(Array("nonce \(n)".utf8)), validAfter: EpochSeconds(1_800_000_000)!,
                validBefore: EpochSeconds(1_800_000_060)!)
            let request = FacilitatorRequest(paymentPayload: payment, paymentRequirements: requirements)
            let answer = SettleResponse(
                success: true, payer: payer, transaction: "5" + String(repeating: "x", count: 86),
                network: requirements.network, amount: requirements.amount,
                extensions: ["kura": .object(["payment": .string("pmt_\(n)")])])
            return (
                header: try X402Codec.header(payment), body: try request.canonicalJSON(),
                answer: try X402Codec.json(answer)
            )
        }
        func kuraThroughCoding(_ i: Int) throws -> Int {
            let request = try JSONValue.parse(calls[i].body).decode(DecodableOnly<FacilitatorRequest>.self).value
            let payload = try JSONValue.canonicalBytes(encoding: EncodableForm(request.paymentPayload))
            var json = CanonicalObjectWriter(capacity: payload.count + 400)
            json.member("paymentPayload", payload)
            json.member(
                "paymentRequirements",
                try JSONValue.canonicalBytes(encoding: EncodableForm(request.paymentRequirements)))
            try json.integer("x402Version", Int64(request.x402Version))
            let proof = try JSONValue.object(request.paymentPayload.payload).decode(
                DecodableOnly<KuraPaymentProof>.self)
            return json.finish().count
                + (try JSONValue.canonicalBytes(encoding: EncodableForm(proof.value.authorization))).count
        }
        func kuraMemberByMember(_ i: Int) throws -> Int {
            let request = try JSONValue.parse(calls[i].body).decode(FacilitatorRequest.self)
            let parts = try request.canonicalParts()
            let proof = try JSONValue.object(request.paymentPayload.payload).decode(KuraPaymentProof.self)
            return parts.request.count + proof.authorization.signedBytes().count
        }
        func providerThroughCoding(_ i: Int) throws -> Int {
            let payment = try JSONValue.parse(Base64.decode(calls[i].header)!).decode(
                DecodableOnly<PaymentPayload>.self)
            let request = FacilitatorRequest(paymentPayload: payment.value, paymentRequirements: payment.value.accepted)
            let body = try JSONValue(encoding: EncodableForm(request)).canonicalBytes()
            return body.count
                + (try JSONValue.parse(calls[i].answer).decode(DecodableOnly<SettleResponse>.self)).value.network.count
        }
        func providerMemberByMember(_ i: Int) throws -> Int {
            let payment = try JSONValue.parse(Base64.decode(calls[i].header)!).decode(PaymentPayload.self)
            let request = FacilitatorRequest(paymentPayload: payment, paymentRequirements: payment.accepted)
            let body = try JSONValue.canonicalBytes(encoding: request)
            return body.count + (try JSONValue.parse(calls[i].answer).decode(SettleResponse.self)).network.count
        }
        for i in calls.indices
        where try kuraThroughCoding(i) != kuraMemberByMember(i) || providerThroughCoding(i) != providerMemberByMember(i)
        {
            throw KuraError(.internalError, "the paths disagree on request \(i)")
        }
        for (side, baseline, members) in [
            ("Kura's reading of a settle request", kuraThroughCoding, kuraMemberByMember),
            ("a provider's header, request and answer", providerThroughCoding, providerMemberByMember),
        ] {
            let before = BenchSupport.callsPerCPUSecond(count: calls.count, seconds: seconds, calls: nil) { i in
                (try? baseline(i)) != nil
            }
            let after = BenchSupport.callsPerCPUSecond(count: calls.count, seconds: seconds, calls: nil) { i in
                (try? members(i)) != nil
            }
            print(
                String(
                    format: "x402 %@, through Coding (baseline): %9.0f requests/s; member by member: %9.0f/s (%.2f×)",
                    side, before, after, after / before))
        }
    }
}
