import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// Seeded x402 payment messages of every shape: optional members present or not, open members of any JSON, text
/// with escapes and non-ASCII.
enum PaymentSamples {
    static let texts = [
        "", "a", "USDC", "exact", "kura:cf36394f", "é\u{1F600}", "quote\"back\\slash", "tab\tnewline\n", "\u{7F}x",
        "\u{1}", "https://provider.example/v1/forecast",
    ]

    static func text(_ rng: inout SplitMix64) -> String { texts.randomElement(using: &rng)! }

    static func object(_ rng: inout SplitMix64) -> [String: JSONValue] {
        if case .object(let members) = JSONSamples.value(&rng, depth: 1) { return members }
        return ["n": JSONSamples.value(&rng, depth: 1)]
    }

    static func units(_ rng: inout SplitMix64) -> UInt64 {
        [0, 1, 250_000, X402Limits.maxAmount, UInt64.random(in: 0...X402Limits.maxAmount, using: &rng)]
            .randomElement(using: &rng)!
    }

    static func resource(_ rng: inout SplitMix64, every: Bool = false) -> ResourceInfo {
        ResourceInfo(
            url: text(&rng), description: every || Bool.random(using: &rng) ? text(&rng) : nil,
            mimeType: every || Bool.random(using: &rng) ? text(&rng) : nil)
    }

    static func requirements(_ rng: inout SplitMix64, every: Bool = false) -> PaymentRequirements {
        PaymentRequirements(
            scheme: text(&rng), network: text(&rng), amount: X402Amount(units: units(&rng))!, asset: text(&rng),
            payTo: text(&rng), maxTimeoutSeconds: units(&rng),
            extra: every || Bool.random(using: &rng) ? object(&rng) : nil)
    }

    static func payment(_ rng: inout SplitMix64, every: Bool = false) -> PaymentPayload {
        var payment = PaymentPayload(
            resource: every || Bool.random(using: &rng) ? resource(&rng, every: every) : nil,
            accepted: requirements(&rng, every: every), payload: object(&rng),
            extensions: every || Bool.random(using: &rng) ? object(&rng) : nil)
        if Int.random(in: 0..<8, using: &rng) == 0 { payment.x402Version = Int.random(in: -3...3, using: &rng) }
        return payment
    }

    static func authorization(_ rng: inout SplitMix64, every: Bool = false) -> KuraAuthorization {
        let extra = EscrowTermsExtra(
            deliverWithinSeconds: units(&rng), confirmWindowSeconds: units(&rng), disputeWindowSeconds: units(&rng))
        return KuraAuthorization(
            payer: text(&rng), payTo: text(&rng), amount: X402Amount(units: units(&rng))!, asset: text(&rng),
            resource: text(&rng), network: text(&rng), nonce: text(&rng),
            validAfter: EpochSeconds(.random(in: 0...X402Limits.maxEpochSeconds, using: &rng))!,
            validBefore: EpochSeconds(.random(in: 0...X402Limits.maxEpochSeconds, using: &rng))!,
            extra: every || Bool.random(using: &rng) ? extra : nil)
    }
}

/// The payment messages write their own canonical JSON (`PaymentPayload+Canonical.swift`); the `Encodable` form
/// through a `JSONValue` is the reference.
@Suite("x402 payment messages: canonical JSON member by member against the Encodable path")
struct PaymentCanonicalTests {
    static func reference(_ value: some Encodable) throws -> [UInt8] { try JSONValue(encoding: value).canonicalBytes() }

    @Test("3,000 seeded payments, requirements, resources, requests and authorizations: the same bytes")
    func seededMessages() throws {
        var rng = SplitMix64(seed: 0x7061_796d)
        for n in 0..<3_000 {
            let payment = PaymentSamples.payment(&rng)
            #expect(try payment.canonicalJSON() == Self.reference(payment), "payment \(n)")
            #expect(try payment.accepted.canonicalJSON() == Self.reference(payment.accepted), "requirements \(n)")
            if let resource = payment.resource {
                #expect(resource.canonicalJSON() == (try Self.reference(resource)), "resource \(n)")
            }
            let request = FacilitatorRequest(paymentPayload: payment, paymentRequirements: payment.accepted)
            let parts = try request.canonicalParts()
            #expect(try parts.request == Self.reference(request), "request \(n)")
            #expect(try parts.payload == Self.reference(payment), "request \(n), payload")
            let authorization = PaymentSamples.authorization(&rng)
            #expect(authorization.signedBytes() == (try Self.reference(authorization)), "authorization \(n)")
        }
    }

    @Test("with every optional member set: one member per stored property")
    func everyStoredProperty() throws {
        var rng = SplitMix64(seed: 5)
        let payment = PaymentSamples.payment(&rng, every: true)
        let authorization = PaymentSamples.authorization(&rng, every: true)
        let written: [(JSONValue, Any)] = [
            (try JSONValue.parse(try payment.canonicalJSON()), payment),
            (try JSONValue.parse(try payment.accepted.canonicalJSON()), payment.accepted),
            (try JSONValue.parse(payment.resource!.canonicalJSON()), payment.resource!),
            (try JSONValue.parse(authorization.signedBytes()), authorization),
            (try JSONValue.parse(authorization.signedBytes())["extra"]!, authorization.extra!),
        ]
        for (json, value) in written {
            #expect(json.objectValue?.count == Mirror(reflecting: value).children.count, "\(type(of: value))")
        }
    }

    @Test("a number canonical JSON cannot hold is refused, as through Encodable")
    func refusedLikeEncodable() throws {
        var rng = SplitMix64(seed: 9)
        var payment = PaymentSamples.payment(&rng)
        payment.accepted.maxTimeoutSeconds = X402Limits.maxAmount + 1
        #expect(throws: JSONError.self) { try payment.accepted.canonicalJSON() }
        #expect(throws: JSONError.self) { try Self.reference(payment.accepted) }
        payment = PaymentSamples.payment(&rng)
        payment.x402Version = 1 << 60
        #expect(throws: JSONError.self) { try payment.canonicalJSON() }
        #expect(throws: JSONError.self) { try Self.reference(payment) }
        payment = PaymentSamples.payment(&rng)
        payment.payload["n"] = .number(.nan)
        #expect(throws: JSONError.self) { try payment.canonicalJSON() }
        #expect(throws: JSONError.self) { try Self.reference(payment) }
    }
}
