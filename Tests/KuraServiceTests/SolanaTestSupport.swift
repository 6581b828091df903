import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraSolanaRPC
import KuraTesting
import KuraX402
import Logging

/// A Kura service with one Solana rail on a stand-in cluster started for the test: a 6-decimal mint
/// (Kura's asset `USDC`), the payer holding 1 000 000 units, the payee's token account open, the treasury
/// holding 5 000 000, the fee payer funded with lamports.
struct SolanaWorld {
    let db: TestDatabase
    let standIn: SolanaStandIn
    let rail: SolanaRail
    /// A second network's cluster, whose rail uses the same fee payer, when asked for.
    var second: SolanaStandIn? = nil

    static func secret(_ label: String) -> Ed25519.SecretKey { TestKeys.secretKey("solana-" + label) }
    static let feePayer = secret("fee-payer")
    static let payer = secret("payer")
    static let payee = SolanaPublicKey(secret("payee").publicKey)
    static let mint = SolanaPublicKey(secret("mint").publicKey)
    static let resource = ResourceInfo(url: "https://provider.example/v1/forecast")

    var ledger: SolanaStandInLedger { standIn.ledger }
    var service: KuraService { db.service }
    var network: String { rail.network.id }

    static func make(
        confirmTimeoutMs: Int64 = 5_000, finalityLag: UInt64 = 2, limits: WithdrawalLimits? = nil,
        wrap: (@Sendable (any SolanaRPC) -> any SolanaRPC)? = nil, secondNetwork: Bool = false,
        backend: (any TestBackendDatabase)? = nil, label: String = #function
    ) async throws -> SolanaWorld {
        let ledger = SolanaStandInLedger(finalityLag: finalityLag)
        ledger.createMint(mint, decimals: 6)
        ledger.mint(1_000_000, of: mint, to: SolanaPublicKey(payer.publicKey))
        ledger.openAccount(of: payee, mint: mint)
        ledger.mint(5_000_000, of: mint, to: SolanaPublicKey(feePayer.publicKey))
        ledger.fund(SolanaPublicKey(feePayer.publicKey), lamports: 10_000_000_000)
        let standIn = try await SolanaStandIn.start(ledger: ledger)
        var rail = SolanaRail(
            network: ledger.network,
            rpc: SolanaRPCClient(
                url: standIn.url, logger: Logger.quiet("test")),
            feePayer: feePayer, assets: [SolanaAsset(asset: try Asset("USDC"), mint: mint, decimals: 6)])
        if let wrap { rail.rpc = wrap(rail.rpc) }
        rail.confirmTimeoutMs = confirmTimeoutMs
        rail.pollIntervalMs = 20
        if let limits { rail.withdrawalLimits = limits }
        var configuration = ServiceConfiguration()
        configuration.solana = [rail]
        var second: SolanaStandIn?
        if secondNetwork {
            let other = SolanaStandInLedger(finalityLag: finalityLag, genesisSeed: "kura-stand-in-second")
            other.fund(SolanaPublicKey(feePayer.publicKey), lamports: 10_000_000_000)
            let started = try await SolanaStandIn.start(ledger: other)
            var otherRail = rail
            otherRail.network = other.network
            otherRail.rpc = SolanaRPCClient(
                url: started.url, logger: Logger.quiet("test"))
            configuration.solana.append(otherRail)
            second = started
        }
        let db = try await TestDatabase(configuration: configuration, label: label, backend: backend)
        return SolanaWorld(db: db, standIn: standIn, rail: rail, second: second)
    }

    func close() async {
        db.close()
        await standIn.stop()
        await second?.stop()
    }

    func requirements(amount: UInt64 = 2500, memo: String? = nil, payTo: SolanaPublicKey = payee) -> PaymentRequirements
    {
        var extra: [String: JSONValue] = ["feePayer": .string(Self.feePayer.publicKey.solanaAddress)]
        if let memo { extra["memo"] = .string(memo) }
        return PaymentRequirements(
            scheme: "exact", network: network, amount: X402Amount(units: amount)!, asset: Self.mint.base58,
            payTo: payTo.base58, maxTimeoutSeconds: 60, extra: extra)
    }

    /// A payment as the official clients build it, on the cluster's current blockhash.
    func payment(
        _ requirements: PaymentRequirements? = nil, nonce: UInt8 = 1, identifier: String? = nil
    ) throws -> FacilitatorRequest {
        let requirements = requirements ?? self.requirements()
        let extensions: [String: JSONValue]? = identifier.map {
            [PaymentIdentifier.name: PaymentIdentifier.echo(PaymentIdentifier.offer(required: false), id: $0)]
        }
        let payload = try SolanaExact.pay(
            requirements, resource: Self.resource, payer: Self.payer, tokenProgram: SolanaPrograms.token, decimals: 6,
            recentBlockhash: ledger.latestBlockhash().0, nonce: [UInt8](repeating: nonce, count: 16),
            extensions: extensions)
        return FacilitatorRequest(paymentPayload: payload, paymentRequirements: requirements)
    }

    func seq() async throws -> UInt64 { try await db.store.head().seq }
}

extension Ed25519.PublicKey {
    var solanaAddress: String { SolanaPublicKey(self).base58 }
}
