import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraSolanaRPC
import Logging

/// The Solana rails of `kura serve` (and of local CLI commands that touch the chain): one per
/// `--solana-network`, with the `--solana-rpc` and `--solana-fee-payer-key` at the same position.
struct SolanaOptions: ParsableArguments {
    @Option(help: "A Solana JSON-RPC endpoint; repeatable, one per --solana-network.")
    var solanaRpc: [String] = []
    @Option(help: "A Solana network as CAIP-2 (solana:<genesis hash prefix>); repeatable.")
    var solanaNetwork: [String] = []
    @Option(help: "Kura's fee payer on that network: a key file as `kura keys generate` writes; repeatable.")
    var solanaFeePayerKey: [String] = []
    @Option(help: "The treasury's key file (deposits in, withdrawals out); default: the fee payer. Repeatable.")
    var solanaTreasuryKey: [String] = []
    @Option(
        help: "A token, ASSET=MINT:DECIMALS or ASSET=MINT:DECIMALS:token-2022 (e.g. USDC=EPjF…Dt1v:6); repeatable.")
    var solanaAsset: [String] = []
    @Option(
        help:
            "The commitment settlements and withdrawals wait for: confirmed or finalized (default confirmed).")
    var solanaCommitment: String?
    @Option(
        help:
            "The commitment deposits and on-chain receipts must have reached: confirmed or finalized (default finalized)."
    )
    var solanaReceiptCommitment: String?
    @Option(
        help: "Milliseconds a settle or withdrawal waits for its confirmation before answering pending (default 30000)."
    )
    var solanaConfirmTimeoutMs: Int64?
    @Option(help: "The largest withdrawal, in atomic units (default 1000000000).")
    var solanaWithdrawalMax: UInt64?
    @Option(help: "The most one party may withdraw in a UTC day, in atomic units (default 10000000000).")
    var solanaWithdrawalDailyMax: UInt64?
    @Option(help: "The highest compute unit price an x402 payment may offer, micro-lamports (default 5000000).")
    var solanaMaxComputeUnitPrice: UInt64?

    /// The flags' names (without dashes) that may be given several times, one per network or asset.
    static let repeatableNames = [
        "solana-rpc", "solana-network", "solana-fee-payer-key", "solana-treasury-key", "solana-asset",
    ]
    /// The flags' names (without dashes) given at most once.
    static let singleNames = [
        "solana-commitment", "solana-receipt-commitment", "solana-confirm-timeout-ms", "solana-withdrawal-max",
        "solana-withdrawal-daily-max", "solana-max-compute-unit-price",
    ]

    /// The values given, by flag name (for `kura serve`'s settings).
    var given: [String: [String]] {
        var given: [String: [String]] = [:]
        for (name, values) in zip(
            Self.repeatableNames, [solanaRpc, solanaNetwork, solanaFeePayerKey, solanaTreasuryKey, solanaAsset])
        where !values.isEmpty { given[name] = values }
        let single: [String?] = [
            solanaCommitment, solanaReceiptCommitment, solanaConfirmTimeoutMs.map { String($0) },
            solanaWithdrawalMax.map { String($0) }, solanaWithdrawalDailyMax.map { String($0) },
            solanaMaxComputeUnitPrice.map { String($0) },
        ]
        for case (let name, let value?) in zip(Self.singleNames, single) { given[name] = [value] }
        return given
    }

    func validate() throws {
        guard solanaRpc.count == solanaNetwork.count, solanaFeePayerKey.count == solanaNetwork.count else {
            throw ValidationError("give --solana-rpc, --solana-network and --solana-fee-payer-key once per network")
        }
        guard solanaTreasuryKey.isEmpty || solanaTreasuryKey.count == solanaNetwork.count else {
            throw ValidationError("give --solana-treasury-key once per network, or not at all")
        }
        for case let text? in [solanaCommitment, solanaReceiptCommitment] {
            guard let commitment = SolanaCommitment(rawValue: text) else {
                throw ValidationError("unknown commitment \(text)")
            }
            // One fork's view: a failure seen there may be a success on the fork the cluster keeps (a withdrawal
            // refunded and paid), a deposit seen there may be on a fork it abandons (credited, never arrived).
            guard commitment != .processed else {
                throw ValidationError("commitment processed is one fork's view; give confirmed or finalized")
            }
        }
        // Every rail takes every asset: one ledger asset is one mint, or a deposit of one mint (on any network)
        // would be withdrawn as the other.
        var named: Set<String> = []
        for asset in try assets() where !named.insert(asset.asset.name).inserted {
            throw ValidationError("--solana-asset \(asset.asset.name) is given twice: a ledger asset names one mint")
        }
        for network in solanaNetwork {
            do { _ = try SolanaNetwork(id: network) } catch { throw ValidationError(error.detail) }
        }
    }

    func assets() throws -> [SolanaAsset] {
        try solanaAsset.map { text in
            let halves = text.split(separator: "=", maxSplits: 1).map(String.init)
            let parts = halves.count == 2 ? halves[1].split(separator: ":").map(String.init) : []
            guard halves.count == 2, (2...3).contains(parts.count), let decimals = UInt8(parts[1]),
                parts.count == 2 || parts[2] == "token-2022", let asset = try? Asset(halves[0]),
                let mint = try? SolanaPublicKey(base58: parts[0])
            else { throw ValidationError("--solana-asset \(text): expected ASSET=MINT:DECIMALS[:token-2022]") }
            return SolanaAsset(
                asset: asset, mint: mint, decimals: decimals,
                tokenProgram: parts.count == 3 ? SolanaPrograms.token2022 : SolanaPrograms.token)
        }
    }

    /// The rails, with JSON-RPC clients that log at `logLevel` (never the endpoint's path or query).
    func rails(logLevel: Logger.Level) throws -> [SolanaRail] {
        let tokens = try assets()
        return try solanaNetwork.indices.map { i in
            var logger = Logger(label: "kura.solana")
            logger.logLevel = logLevel
            let feePayer = try KeyFile.load(solanaFeePayerKey[i]).key
            let treasury = solanaTreasuryKey.isEmpty ? feePayer : try KeyFile.load(solanaTreasuryKey[i]).key
            var rail = SolanaRail(
                network: try SolanaNetwork(id: solanaNetwork[i]),
                rpc: SolanaRPCClient(url: solanaRpc[i], logger: logger), feePayer: feePayer, treasury: treasury,
                assets: tokens,
                withdrawalLimits: WithdrawalLimits(
                    perWithdrawal: try Amount(units: solanaWithdrawalMax ?? 1_000_000_000),
                    perDay: try Amount(units: solanaWithdrawalDailyMax ?? 10_000_000_000)))
            rail.commitment = solanaCommitment.flatMap(SolanaCommitment.init(rawValue:)) ?? .confirmed
            rail.receiptCommitment = solanaReceiptCommitment.flatMap(SolanaCommitment.init(rawValue:)) ?? .finalized
            rail.confirmTimeoutMs = max(0, solanaConfirmTimeoutMs ?? 30_000)
            rail.maxComputeUnitPrice = solanaMaxComputeUnitPrice ?? 5_000_000
            return rail
        }
    }
}
