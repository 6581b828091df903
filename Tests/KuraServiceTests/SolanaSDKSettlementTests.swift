import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraSolanaRPC
import KuraTesting
import KuraX402
import Logging
import Testing

/// The official SDK's recorded payloads (Fixtures/solana/sdk-payloads.json) settled through the service on a
/// fresh stand-in set up as the script set it up: each settles once, a repeat is `duplicate_settlement`.
@Suite("x402 exact on Solana: settling the official SDK's payloads")
struct SolanaSDKSettlementTests {
    struct Fixture: Decodable {
        struct Mint: Decodable {
            let mint: String
            let program: String
        }
        struct Case: Decodable {
            let name: String
            let paymentPayload: JSONValue
            let paymentRequirements: JSONValue
        }
        let network: String
        let feePayerSeed: String
        let payer: String
        let payTo: String
        let payerBalance: UInt64
        let mints: [String: Mint]
        let cases: [Case]
    }

    @Test("each recorded SDK payload settles once on the stand-in")
    func settle() async throws {
        let url = VectorFixtures.root.appendingPathComponent("Fixtures/solana/sdk-payloads.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let feePayer = try Ed25519.SecretKey(seed: try #require(Hex.decode(fixture.feePayerSeed)))
        let ledger = SolanaStandInLedger()
        let payer = try SolanaPublicKey(base58: fixture.payer)
        let payee = try SolanaPublicKey(base58: fixture.payTo)
        for mint in fixture.mints.values {
            let key = try SolanaPublicKey(base58: mint.mint)
            ledger.createMint(key, decimals: 6, program: try SolanaPublicKey(base58: mint.program))
            ledger.mint(fixture.payerBalance, of: key, to: payer)
            ledger.openAccount(of: payee, mint: key)
        }
        ledger.fund(SolanaPublicKey(feePayer.publicKey), lamports: 10_000_000_000)
        let standIn = try await SolanaStandIn.start(ledger: ledger)
        var rail = SolanaRail(
            network: try SolanaNetwork(id: fixture.network),
            rpc: SolanaRPCClient(
                url: standIn.url, logger: Logger.quiet("t")),
            feePayer: feePayer)
        rail.pollIntervalMs = 20
        var configuration = ServiceConfiguration()
        configuration.solana = [rail]
        let db = try await TestDatabase(configuration: configuration, label: "sdk")
        for sdkCase in fixture.cases {
            let request = FacilitatorRequest(
                paymentPayload: try X402Codec.decode(PaymentPayload.self, value: sdkCase.paymentPayload),
                paymentRequirements: try X402Codec.decode(PaymentRequirements.self, value: sdkCase.paymentRequirements))
            #expect(await db.service.facilitatorVerify(request).isValid, "\(sdkCase.name)")
            let settled = try await db.service.facilitatorSettle(request)
            #expect(settled.success, "\(sdkCase.name): \(settled)")
            #expect(try await db.service.facilitatorSettle(request).errorReason == .duplicateSettlement)
        }
        #expect(ledger.sendCalls == fixture.cases.count)
        for mint in fixture.mints.values {
            #expect(ledger.balance(owner: payee, mint: try SolanaPublicKey(base58: mint.mint)) == 5000)
        }
        db.close()
        await standIn.stop()
    }
}
