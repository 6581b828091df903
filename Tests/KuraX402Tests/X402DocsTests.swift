import Foundation
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// Docs/x402.md stays true: every example value on the page is produced here by the code, and the
/// Fixtures/x402/*.header files (read by scripts/check-x402-sdk.sh) are real headers.
/// `KURA_REGENERATE_GOLDEN=1` rewrites the fixtures and prints the page's values to
/// Fixtures/x402/doc-examples.txt, to paste from after a deliberate change.
@Suite("Docs/x402.md")
struct X402DocsTests {
    typealias E = X402Examples
    static let page = VectorFixtures.root.appendingPathComponent("Docs/x402.md")

    /// The values the page shows, each with what it is.
    static func examples() throws -> [(what: String, text: String)] {
        var out: [(String, String)] = []
        out.append(("the network ID", "`\(E.network.id)`"))
        out.append(("the log verifier key", TestKeys.serviceSigner.verifier.text))
        for (name, value) in E.seedRequest.headers { out.append(("seed header \(name)", "\(name): \(value)")) }

        let required = try X402Codec.header(E.paymentRequired)
        out.append(("the PAYMENT-REQUIRED header", "PAYMENT-REQUIRED: \(required)"))
        out.append(("the PaymentRequired JSON", PrettyJSON.text(try JSONValue(encoding: E.paymentRequired))))

        let payment = try E.payment(E.exact)
        out.append(("the PAYMENT-SIGNATURE header", "PAYMENT-SIGNATURE: \(try X402Codec.header(payment))"))
        out.append(("the PaymentPayload JSON", PrettyJSON.text(try JSONValue(encoding: payment))))
        let proof = try KuraPaymentProof.parse(payment.payload)
        out.append(("the signed bytes", String(decoding: proof.authorization.signedBytes(), as: UTF8.self)))
        out.append(("the payer's public key", "`\(E.payerKey.publicKey.base64)`"))

        let forged = try E.payment(E.exact, key: TestKeys.secretKey("mallory"))
        let refusal = try #require(
            #expect(throws: X402Refusal.self) {
                try KuraScheme.verify(
                    forged, against: E.exact, on: E.network, payerKey: E.payerKey.publicKey, nowMilliseconds: E.now)
            })
        let verify = VerifyResponse.invalid(refusal.reason, refusal.detail, payer: E.payer)
        out.append(("the refused verify JSON", PrettyJSON.text(try JSONValue(encoding: verify))))
        let settle = SettleResponse(
            success: false, errorReason: refusal.reason, errorMessage: refusal.detail, payer: E.payer, transaction: "",
            network: E.network.id)
        out.append(("the refused PAYMENT-RESPONSE header", "PAYMENT-RESPONSE: \(try X402Codec.header(settle))"))
        return out
    }

    @Test("every example value on the page is what the code produces")
    func pageIsTrue() throws {
        let examples = try Self.examples()
        if ProcessInfo.processInfo.environment["KURA_REGENERATE_GOLDEN"] == "1" {
            let text = examples.map { "### \($0.what)\n\($0.text)\n" }.joined(separator: "\n")
            try text.write(to: X402Examples.fixture("doc-examples.txt"), atomically: true, encoding: .utf8)
        }
        let doc = try String(contentsOf: Self.page, encoding: .utf8)
        let missing = examples.filter { !doc.contains($0.text) }.map(\.what)
        #expect(missing == [], "values the page should show")
    }

    /// The header values scripts/check-x402-sdk.sh gives the official SDK, by fixture file name.
    static func sdkFixtures() throws -> [(file: String, header: String)] {
        let forged = try E.payment(E.exact, key: TestKeys.secretKey("mallory"))
        let refusal = try #require(
            #expect(throws: X402Refusal.self) {
                try KuraScheme.verify(
                    forged, against: E.exact, on: E.network, payerKey: E.payerKey.publicKey, nowMilliseconds: E.now)
            })
        let settle = SettleResponse(
            success: false, errorReason: refusal.reason, errorMessage: refusal.detail, payer: E.payer, transaction: "",
            network: E.network.id)
        return [
            ("payment-required.header", try X402Codec.header(E.paymentRequired)),
            ("payment-signature.header", try X402Codec.header(try E.payment(E.escrow))),
            ("payment-signature-exact.header", try X402Codec.header(try E.payment(E.exact))),
            ("payment-response.header", try X402Codec.header(settle)),
        ]
    }

    @Test("the fixtures the SDK script decodes are the example headers")
    func fixturesAreTrue() throws {
        for (file, header) in try Self.sdkFixtures() {
            let url = X402Examples.fixture(file)
            if ProcessInfo.processInfo.environment["KURA_REGENERATE_GOLDEN"] == "1" {
                try (header + "\n").write(to: url, atomically: true, encoding: .utf8)
            }
            #expect(try String(contentsOf: url, encoding: .utf8) == header + "\n", "\(file)")
        }
    }

    /// scripts/check-x402-sdk.sh writes what the official SDK makes of Kura's payments when it encodes them
    /// again (`Fixtures/x402/sdk-reencoded-*.header`); Kura must read and verify those bytes too.
    @Test("payments re-encoded by the official x402 SDK decode and verify", arguments: ["exact", "escrow"])
    func sdkReencoded(scheme: String) throws {
        let file =
            scheme == "exact"
            ? "sdk-reencoded-payment-signature-exact.header" : "sdk-reencoded-payment-signature.header"
        let text = try String(contentsOf: X402Examples.fixture(file), encoding: .utf8)
        let payment = try X402Codec.decode(
            PaymentPayload.self, header: text.trimmingCharacters(in: .whitespacesAndNewlines))
        let requirements = scheme == "exact" ? E.exact : E.escrow
        let verified = try KuraScheme.verify(
            payment, against: requirements, on: E.network, payerKey: E.payerKey.publicKey, nowMilliseconds: E.now)
        #expect(verified.scheme.rawValue == scheme)
    }
}
