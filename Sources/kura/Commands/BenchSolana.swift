import ArgumentParser
import Foundation
import KuraCrypto
import KuraSolana
import KuraX402

/// `kura bench solana`: offline verification of x402 `exact` payloads on Solana (decode the base64
/// transaction, parse it, every check including the destination's associated-account derivation, the payer's
/// Ed25519 signature) on one core, beside Ed25519 verification alone of the same messages in the same run.
struct BenchSolana: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solana",
        abstract: "Offline Solana `exact` verifications/s on one core beside Ed25519 verifications/s alone.",
        discussion: """
            Example: kura bench solana --payloads 2000 --seconds 5
            Rates are per second of the measuring thread's CPU time, so a busy machine slows the run, not the figures.
            """)

    @Option(help: "Distinct payloads (payers, payees, amounts and memos differ), cycled through.")
    var payloads: Int = 2000
    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5
    @Option(
        help: """
            About this many timed calls per measurement (rounded up to a hundred) instead of --seconds: the same \
            work in every run.
            """)
    var calls: Int?

    func run() async throws {
        try await reportingErrors {
            let feePayer = Ed25519.SecretKey.generate()
            let network = SolanaNetwork.devnet
            let policy = SolanaExactPolicy(network: network, feePayers: [SolanaPublicKey(feePayer.publicKey)])
            let mint = SolanaPublicKey(Ed25519.SecretKey.generate().publicKey)
            let blockhash = try SolanaHash(bytes: SecureRandom.bytes(32))
            var cases: [(PaymentPayload, PaymentRequirements)] = []
            var signed: [(SolanaPublicKey, SolanaSignature, [UInt8])] = []
            for i in 0..<max(1, payloads) {
                let payer = Ed25519.SecretKey.generate()
                let payee = SolanaPublicKey(Ed25519.SecretKey.generate().publicKey)
                guard let amount = X402Amount(units: UInt64(1000 + i)) else { continue }
                let requirements = PaymentRequirements(
                    scheme: "exact", network: network.id, amount: amount, asset: mint.base58, payTo: payee.base58,
                    maxTimeoutSeconds: 60, extra: ["feePayer": .string(SolanaPublicKey(feePayer.publicKey).base58)])
                let payment = try SolanaExact.pay(
                    requirements, resource: ResourceInfo(url: "https://provider.example/v1/forecast"), payer: payer,
                    tokenProgram: i % 2 == 0 ? SolanaPrograms.token : SolanaPrograms.token2022, decimals: 6,
                    recentBlockhash: blockhash, nonce: SecureRandom.bytes(16))
                let tx = try SolanaTransaction(base64: payment.payload["transaction"]?.stringValue ?? "")
                signed.append((SolanaPublicKey(payer.publicKey), tx.signatures[1], tx.messageBytes))
                cases.append((payment, requirements))
            }
            // Every payload must verify before any is timed.
            for (payment, requirements) in cases {
                _ = try SolanaExact.verify(payment, against: requirements, policy: policy)
            }
            print("\(cases.count) distinct payloads, \(signed[0].2.count)-byte messages, one core")
            let ed25519 = measure(count: signed.count) { i in
                let (key, signature, message) = signed[i]
                return key.ed25519.isValidSignature(signature.bytes, for: message)
            }
            print(String(format: "Ed25519 verification alone:         %9.0f signatures/s", ed25519))
            let points = signed.map { $0.2.suffix(32) }.map(Array.init)
            let curve = measure(count: points.count) { i in
                _ = Ed25519.isOnCurve(points[i])
                return true
            }
            print(String(format: "curve test alone (one of ~2 per ATA): %9.0f tests/s", curve))
            let exact = measure(count: cases.count) { i in
                (try? SolanaExact.verify(cases[i].0, against: cases[i].1, policy: policy)) != nil
            }
            print(
                String(
                    format: "exact payload verification (offline): %9.0f payloads/s (%.0f%% of the signature rate)",
                    exact,
                    100 * exact / ed25519))
        }
    }

    func measure(count: Int, _ body: (Int) -> Bool) -> Double {
        BenchSupport.callsPerCPUSecond(count: count, seconds: seconds, calls: calls, body)
    }
}
