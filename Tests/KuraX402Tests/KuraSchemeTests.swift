import KuraCrypto
import KuraTesting
import KuraX402
import Testing

@Suite("Kura x402 schemes: exact and escrow")
struct KuraSchemeTests {
    typealias E = X402Examples

    static func verify(
        _ payment: PaymentPayload, _ requirements: PaymentRequirements, now: Int64 = E.now,
        key: Ed25519.PublicKey = E.payerKey.publicKey
    ) throws(X402Refusal) -> VerifiedKuraPayment {
        try KuraScheme.verify(payment, against: requirements, on: E.network, payerKey: key, nowMilliseconds: now)
    }

    static func refusal(
        _ payment: PaymentPayload, _ requirements: PaymentRequirements, now: Int64 = E.now,
        key: Ed25519.PublicKey = E.payerKey.publicKey
    ) -> X402Reason? {
        do {
            _ = try verify(payment, requirements, now: now, key: key)
            return nil
        } catch { return error.reason }
    }

    /// A payment for `requirements` whose authorization is changed by `edit` and then honestly signed.
    static func signed(
        _ requirements: PaymentRequirements, _ edit: (inout KuraAuthorization) -> Void
    ) throws -> PaymentPayload {
        var payment = try E.payment(requirements)
        var authorization = try KuraPaymentProof.parse(payment.payload).authorization
        edit(&authorization)
        payment.payload = KuraPaymentProof.sign(authorization, key: E.payerKey).payload
        return payment
    }

    /// A payment whose authorization is changed by `edit` after signing (the signature kept).
    static func tampered(
        _ requirements: PaymentRequirements, _ edit: (inout KuraAuthorization) -> Void
    ) throws -> PaymentPayload {
        var payment = try E.payment(requirements)
        var proof = try KuraPaymentProof.parse(payment.payload)
        edit(&proof.authorization)
        payment.payload = proof.payload
        return payment
    }

    @Test("an honest payment verifies in both schemes, with the escrow terms for escrow")
    func honest() throws {
        let exact = try Self.verify(try E.payment(E.exact), E.exact)
        #expect(exact.scheme == .exact && exact.escrowTerms == nil && exact.authorization.payer == E.payer)
        let escrow = try Self.verify(try E.payment(E.escrow), E.escrow)
        #expect(escrow.scheme == .escrow && escrow.escrowTerms == E.terms)
        #expect(escrow.authorization.extra?.paymentFlow == "escrow")
    }

    @Test("the signature is over the RFC 8785 canonical JSON of the authorization")
    func signedBytes() throws {
        let proof = try KuraPaymentProof.parse(try E.payment(E.escrow).payload)
        let canonical = try JSONValue.canonicalize(try JSONValue(encoding: proof.authorization).canonicalBytes())
        #expect(proof.authorization.signedBytes() == canonical)
        let signature = try #require(Base64.decode(proof.signature))
        #expect(E.payerKey.publicKey.isValidSignature(signature, for: canonical))
        #expect(String(decoding: canonical, as: UTF8.self).hasPrefix(#"{"amount":"250000","asset":"USDC","extra":{"#))
    }

    static let edits: [(String, @Sendable (inout KuraAuthorization) -> Void)] = [
        ("payer", { $0.payer = E.party("mallory") }),
        ("payTo", { $0.payTo = E.party("mallory") }),
        ("amount", { $0.amount = X402Amount(units: 250_001)! }),
        ("asset", { $0.asset = "EURC" }),
        ("resource", { $0.resource = "https://provider.example/v1/other" }),
        ("network", { $0.network = "kura:00000000" }),
        ("nonce", { $0.nonce = String(repeating: "0", count: 64) }),
        ("validAfter", { $0.validAfter = EpochSeconds($0.validAfter.seconds - 1)! }),
        ("validBefore", { $0.validBefore = EpochSeconds($0.validBefore.seconds + 1)! }),
        ("extra.deliverWithinSeconds", { $0.extra?.deliverWithinSeconds += 1 }),
        ("extra.confirmWindowSeconds", { $0.extra?.confirmWindowSeconds -= 1 }),
        ("extra.disputeWindowSeconds", { $0.extra?.disputeWindowSeconds -= 1 }),
        ("extra removed", { $0.extra = nil }),
    ]

    @Test("changing any signed field after signing breaks the signature", arguments: 0..<edits.count)
    func tamperEachField(_ index: Int) throws {
        let (label, edit) = Self.edits[index]
        let payment = try Self.tampered(E.escrow, edit)
        #expect(Self.refusal(payment, E.escrow) == .kuraSignature(.escrow), "\(label)")
    }

    @Test("a forged signature is refused: another key, random bytes, a signature for other bytes")
    func forged() throws {
        let mallory = TestKeys.secretKey("mallory")
        let byMallory = try E.payment(E.exact, key: mallory)
        #expect(Self.refusal(byMallory, E.exact) == .kuraSignature(.exact))
        #expect(
            Self.refusal(byMallory, E.exact, key: mallory.publicKey) == nil, "the same payment verifies under its key")
        #expect(X402Reason.kuraSignature(.exact).rawValue == "invalid_exact_kura_payload_signature")

        var random = try E.payment(E.exact)
        var rng = SplitMix64(seed: 7)
        random.payload["signature"] = .string(
            Base64.encode((0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        #expect(Self.refusal(random, E.exact) == .kuraSignature(.exact))

        var other = try E.payment(E.exact)
        other.payload["signature"] = .string(Base64.encode(E.payerKey.signature(for: Array("hello".utf8))))
        #expect(Self.refusal(other, E.exact) == .kuraSignature(.exact))

        var short = try E.payment(E.exact)
        short.payload["signature"] = .string(Base64.encode([UInt8](repeating: 1, count: 63)))
        #expect(Self.refusal(short, E.exact) == .invalidPayload)
    }

    @Test("an honestly signed authorization that does not match the requirements names the mismatch")
    func mismatches() throws {
        let cases: [(PaymentRequirements, (inout KuraAuthorization) -> Void, X402Reason)] = [
            (E.exact, { $0.payTo = E.party("mallory") }, .kuraRecipientMismatch(.exact)),
            (E.exact, { $0.amount = X402Amount(units: 1)! }, .kuraValueMismatch(.exact)),
            (E.exact, { $0.asset = "EURC" }, .kuraAssetMismatch(.exact)),
            (E.exact, { $0.resource = "https://provider.example/v1/other" }, .kuraResourceMismatch(.exact)),
            (E.exact, { $0.network = "kura:00000000" }, .invalidNetwork),
            (E.exact, { $0.extra = E.terms }, .kuraTermsMismatch(.exact)),
            (
                E.escrow,
                {
                    $0.extra = EscrowTermsExtra(
                        deliverWithinSeconds: 1, confirmWindowSeconds: 2, disputeWindowSeconds: 2)
                },
                .kuraTermsMismatch(.escrow)
            ),
            (E.escrow, { $0.extra = nil }, .kuraTermsMismatch(.escrow)),
            (E.exact, { $0.validBefore = EpochSeconds(E.nowSeconds.seconds + 61)! }, .kuraValidityWindow(.exact)),
            (E.exact, { $0.validAfter = $0.validBefore }, .kuraValidityWindow(.exact)),
            (E.exact, { $0.validAfter = EpochSeconds(E.nowSeconds.seconds + 1)! }, .kuraValidAfter(.exact)),
        ]
        for (requirements, edit, reason) in cases {
            #expect(Self.refusal(try Self.signed(requirements, edit), requirements) == reason, "\(reason)")
        }
    }

    @Test("the validity window: from validAfter inclusive to validBefore exclusive")
    func timeWindow() throws {
        let payment = try E.payment(E.exact)
        let after = (E.nowSeconds.seconds - 10) * 1000
        let before = (E.nowSeconds.seconds + 50) * 1000
        #expect(Self.refusal(payment, E.exact, now: Int64(after) - 1) == .kuraValidAfter(.exact))
        #expect(Self.refusal(payment, E.exact, now: Int64(after)) == nil)
        #expect(Self.refusal(payment, E.exact, now: Int64(before) - 1) == nil)
        #expect(Self.refusal(payment, E.exact, now: Int64(before)) == .kuraValidBefore(.exact))
    }

    @Test("scheme, network and accepted requirements are checked before the proof")
    func routing() throws {
        let payment = try E.payment(E.exact)
        var upto = E.exact
        upto.scheme = "upto"
        #expect(Self.refusal(payment, upto) == .unsupportedScheme)
        var elsewhere = E.exact
        elsewhere.network = "kura:00000000"
        #expect(Self.refusal(payment, elsewhere) == .invalidNetwork)
        #expect(Self.refusal(payment, E.escrow) == .invalidScheme)
        var cheaper = E.exact
        cheaper.amount = X402Amount(units: 1)!
        #expect(Self.refusal(payment, cheaper) == .invalidPaymentRequirements)
        var badTerms = E.escrow
        badTerms.extra?["paymentFlow"] = "plain"
        var forBadTerms = try E.payment(E.escrow)
        forBadTerms.accepted = badTerms
        #expect(Self.refusal(forBadTerms, badTerms) == .invalidPaymentRequirements)
    }

    @Test("an `accepted` with `extra: {}` (as the official Python SDK writes a requirement without extra) verifies")
    func emptyExtra() throws {
        var payment = try E.payment(E.exact)
        payment.accepted.extra = [:]
        let header = try X402Codec.header(payment)
        let decoded = try X402Codec.decode(PaymentPayload.self, header: header)
        #expect(decoded.accepted.extra == [:])
        #expect(Self.refusal(decoded, E.exact) == nil)
        payment.accepted.extra = ["name": "USDC"]
        #expect(Self.refusal(payment, E.exact) == .invalidPaymentRequirements)
    }

    @Test("the proof is read strictly: unknown members, bad nonce, bad terms")
    func strictProof() throws {
        let payment = try E.payment(E.escrow)
        let payload = JSONValue.object(payment.payload)
        let cases: [JSONValue] = [
            payload.setting(["note"], "hi"),
            payload.setting(["authorization", "memo"], "hi"),
            payload.setting(["authorization", "extra", "memo"], "hi"),
            payload.setting(["authorization", "extra", "disputeWindowSeconds"], 100_000),
            payload.setting(["authorization", "extra", "paymentFlow"], "plain"),
            payload.setting(["authorization", "nonce"], .string("0x" + String(repeating: "a", count: 62))),
            payload.setting(["authorization", "nonce"], .string(String(repeating: "A", count: 64))),
            payload.setting(["authorization", "amount"], 250_000),
            payload.setting(["authorization", "validBefore"], "-1"),
            payload.setting(["authorization"], nil),
            payload.setting(["signature"], "not base64"),
        ]
        for json in cases {
            var bad = payment
            bad.payload = json.objectValue ?? [:]
            #expect(Self.refusal(bad, E.escrow) == .invalidPayload, "\(json)")
        }
    }

    @Test("the network ID is kura: and the log key's C2SP key ID")
    func network() throws {
        let verifier = TestKeys.serviceSigner.verifier.text
        let keyID = verifier.split(separator: "+")[1]
        #expect(E.network.id == "kura:\(keyID)")
        #expect(CAIP2.isValid(E.network.id))
        #expect(KuraNetwork(id: E.network.id) == E.network)
        for bad in ["kura:", "kura:ABCDEF01", "kura:1234567", "eip155:12345678", "kura:123456789"] {
            #expect(KuraNetwork(id: bad) == nil, "\(bad)")
        }
    }
}

/// A facilitator request's canonical JSON, and its payload's inside it, are made once
/// (``FacilitatorRequest/canonicalParts()``); the `Encodable` form through a `JSONValue` is the reference.
@Suite("facilitator requests: canonical parts against the Encodable path")
struct FacilitatorRequestCanonicalTests {
    typealias E = X402Examples

    @Test("both schemes, with and without extensions and a resource, many nonces: the same bytes")
    func sameBytes() throws {
        for (n, requirements) in [E.exact, E.escrow].enumerated() {
            for seed in 0..<40 {
                var payment = try E.payment(requirements, nonceSeed: "nonce-\(n)-\(seed)")
                if seed % 3 == 0 { payment.extensions = nil }
                if seed % 4 == 0 { payment.resource = nil }
                let request = FacilitatorRequest(paymentPayload: payment, paymentRequirements: requirements)
                let parts = try request.canonicalParts()
                #expect(parts.request == (try JSONValue(encoding: request).canonicalBytes()), "\(n)/\(seed)")
                #expect(parts.payload == (try JSONValue(encoding: payment).canonicalBytes()), "\(n)/\(seed), payload")
                #expect(try JSONValue.canonicalBytes(encoding: request) == parts.request, "\(n)/\(seed), writable")
            }
        }
    }

    @Test("a parsed proof handed to verify gives what verify gives parsing it, signed bytes included")
    func parsedProof() throws {
        let payment = try E.payment(E.exact)
        let proof = try KuraPaymentProof.parse(payment.payload)
        let parsing = try KuraSchemeTests.verify(payment, E.exact)
        let handed = try KuraScheme.verify(
            payment, against: E.exact, on: E.network, payerKey: E.payerKey.publicKey, nowMilliseconds: E.now,
            proof: proof)
        #expect(handed == parsing)
        #expect(handed.signedBytes == proof.authorization.signedBytes())
    }
}
