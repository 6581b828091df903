import KuraCore
import KuraCrypto
import KuraSolana
import KuraX402

/// A token Kura handles on a Solana network: the ledger asset it is credited as, its mint, decimals and
/// token program.
public struct SolanaAsset: Sendable, Equatable {
    public var asset: Asset
    public var mint: SolanaPublicKey
    public var decimals: UInt8
    public var tokenProgram: SolanaPublicKey

    public init(
        asset: Asset, mint: SolanaPublicKey, decimals: UInt8, tokenProgram: SolanaPublicKey = SolanaPrograms.token
    ) {
        self.asset = asset
        self.mint = mint
        self.decimals = decimals
        self.tokenProgram = tokenProgram
    }
}

/// One Solana network Kura works on: its JSON-RPC endpoint, the fee payer that co-signs x402 `exact`
/// payments, the treasury that receives deposits and pays withdrawals, the tokens, and the limits.
/// `kura serve --solana-rpc URL --solana-network solana:… --solana-fee-payer-key FILE` makes one.
public struct SolanaRail: Sendable {
    /// The network.
    public var network: SolanaNetwork
    /// Its JSON-RPC endpoint.
    public var rpc: any SolanaRPC
    /// Pays the fees of x402 payments and withdrawals; Kura's signer on this network.
    public var feePayer: Ed25519.SecretKey
    /// Owns the treasury token accounts (deposits arrive there, withdrawals leave from there).
    public var treasury: Ed25519.SecretKey
    /// The tokens handled.
    public var assets: [SolanaAsset]
    /// The commitment a settlement or a withdrawal waits for.
    public var commitment: SolanaCommitment = .confirmed
    /// The commitment a deposit or an on-chain receipt must have reached.
    public var receiptCommitment: SolanaCommitment = .finalized
    /// How long a settle or a withdrawal waits for its confirmation before answering "pending".
    public var confirmTimeoutMs: Int64 = 30_000
    /// How often it polls while waiting.
    public var pollIntervalMs: Int64 = 400
    /// How long the background reconciler leaves an x402 payment it sees confirmed to the settle that sent it
    /// (answered pending, "settle again"): only the settle that records `solana.settled` answers success, so a
    /// payment the reconciler recorded first would never be answered as paid, and its resource never served.
    /// A minute, and at least two of the settle's waits and ten seconds: the first wait, and its retry's.
    public var reconcileGraceMs: Int64 { max(60_000, 2 * confirmTimeoutMs + 10_000) }
    /// The highest compute unit price an x402 payment may offer, in micro-lamports.
    public var maxComputeUnitPrice: UInt64 = SolanaExactPolicy.defaultMaxComputeUnitPrice
    /// Per-withdrawal and per-day limits, per party, in each asset's atomic units.
    public var withdrawalLimits: WithdrawalLimits

    public init(
        network: SolanaNetwork, rpc: any SolanaRPC, feePayer: Ed25519.SecretKey, treasury: Ed25519.SecretKey? = nil,
        assets: [SolanaAsset] = [],
        withdrawalLimits: WithdrawalLimits = WithdrawalLimits(
            perWithdrawal: (try? Amount(units: 1_000_000_000)) ?? .zero,
            perDay: (try? Amount(units: 10_000_000_000)) ?? .zero)
    ) {
        self.network = network
        self.rpc = rpc
        self.feePayer = feePayer
        self.treasury = treasury ?? feePayer
        self.assets = assets
        self.withdrawalLimits = withdrawalLimits
    }

    /// The fee payer's address.
    public var feePayerAddress: SolanaPublicKey { SolanaPublicKey(feePayer.publicKey) }
    /// The treasury owner's address.
    public var treasuryAddress: SolanaPublicKey { SolanaPublicKey(treasury.publicKey) }

    /// The checks' policy on this network.
    public var policy: SolanaExactPolicy {
        SolanaExactPolicy(network: network, feePayers: [feePayerAddress], maxComputeUnitPrice: maxComputeUnitPrice)
    }

    /// The token Kura credits as `asset`.
    public func asset(_ asset: Asset) -> SolanaAsset? { assets.first { $0.asset == asset } }

    /// The treasury's associated token account for a token.
    public func treasuryAccount(_ asset: SolanaAsset) -> SolanaPublicKey {
        AssociatedTokenAccount.address(owner: treasuryAddress, mint: asset.mint, tokenProgram: asset.tokenProgram)
    }
}
