import Foundation
import KuraCrypto
import KuraTesting
import KuraX402

/// The fixed values every x402 test and Docs/x402.md use: the test instance's network, two parties with their
/// keys, a 402 that accepts both Kura schemes, and a payment for each.
enum X402Examples {
    /// The network of the test instance (its log key is `TestKeys.serviceSigner`).
    static let network = KuraNetwork(
        logKeyName: TestKeys.serviceSigner.name, publicKey: TestKeys.serviceSigner.key.publicKey)

    /// A party-ID-shaped name for `who`, derived so the examples are reproducible.
    static func party(_ who: String) -> String { "pty_" + Base58.encode(SHA256.hash(Array(who.utf8)).prefix(16)) }

    static let payer = party("agent")
    static let payerKey = TestKeys.secretKey("agent")
    static let provider = party("provider")

    /// 2026-11-25T00:00:00Z, when the examples are made.
    static let now: Int64 = 1_795_564_800_000
    static let nowSeconds = EpochSeconds(UInt64(now / 1000))!

    static let resource = ResourceInfo(
        url: "https://provider.example/v1/forecast", description: "Tomorrow's forecast", mimeType: "application/json")

    static let exact = PaymentRequirements(
        scheme: "exact", network: network.id, amount: X402Amount(units: 250_000)!, asset: "USDC", payTo: provider,
        maxTimeoutSeconds: 60)

    static let terms = EscrowTermsExtra(
        deliverWithinSeconds: 300, confirmWindowSeconds: 86_400, disputeWindowSeconds: 3_600)

    static let escrow = PaymentRequirements(
        scheme: "escrow", network: network.id, amount: X402Amount(units: 250_000)!, asset: "USDC", payTo: provider,
        maxTimeoutSeconds: 60, extra: terms.extra)

    static let paymentRequired = PaymentRequired(
        error: "PAYMENT-SIGNATURE header is required", resource: resource, accepts: [exact, escrow],
        extensions: [PaymentIdentifier.name: PaymentIdentifier.offer(required: false)])

    static let paymentID = "pay_7d5d747be160e280504c099d984bcfe0"

    /// A signed payment for `requirements`, valid from 10 s before `now` for 60 s.
    static func payment(
        _ requirements: PaymentRequirements, key: Ed25519.SecretKey = payerKey, nonceSeed: String = "nonce-1"
    ) throws -> PaymentPayload {
        try KuraScheme.pay(
            requirements, resource: resource, payer: payer, key: key,
            nonce: SHA256.hash(Array(nonceSeed.utf8)), validAfter: EpochSeconds(nowSeconds.seconds - 10)!,
            validBefore: EpochSeconds(nowSeconds.seconds + 50)!,
            extensions: [
                PaymentIdentifier.name: PaymentIdentifier.echo(PaymentIdentifier.offer(required: false), id: paymentID)
            ])
    }

    static let seedRequest = SeedPaymentRequest(
        amount: X402Amount(units: 250_000)!, token: "USDC", recipient: provider, network: network.id,
        deadline: EpochSeconds(nowSeconds.seconds + 60)!, paymentID: paymentID)

    /// `Fixtures/x402/<name>`.
    static func fixture(_ name: String) -> URL {
        VectorFixtures.root.appendingPathComponent("Fixtures/x402/\(name)")
    }
}
