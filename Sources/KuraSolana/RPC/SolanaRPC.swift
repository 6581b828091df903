import KuraCrypto

/// How settled a read or a transaction must be: seen by the node (`processed`), voted on by a supermajority
/// (`confirmed`), or rooted (`finalized`, about 32 slots later; it cannot be rolled back).
public enum SolanaCommitment: String, Sendable, Codable, CaseIterable, Comparable {
    case processed, confirmed, finalized

    var rank: Int {
        switch self {
        case .processed: 0
        case .confirmed: 1
        case .finalized: 2
        }
    }

    public static func < (lhs: SolanaCommitment, rhs: SolanaCommitment) -> Bool { lhs.rank < rhs.rank }
}

/// The Solana JSON-RPC methods Kura uses. ``SolanaRPCClient`` (target KuraSolanaRPC) speaks it over HTTP;
/// tests use the stand-in in KuraTesting behind the same client.
public protocol SolanaRPC: Sendable {
    /// `getLatestBlockhash`: a blockhash to build a message on, and the last block height it is valid at.
    func latestBlockhash(commitment: SolanaCommitment) async throws(SolanaRPCError) -> LatestBlockhash
    /// `isBlockhashValid`.
    func isBlockhashValid(_ blockhash: SolanaHash, commitment: SolanaCommitment) async throws(SolanaRPCError) -> Bool
    /// `simulateTransaction` with signature verification, the blockhash not replaced.
    func simulate(_ transaction: SolanaTransaction, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> SimulationResult
    /// `sendTransaction`; answers the transaction's signature. Not retried by the client: the caller decides,
    /// by the signature's status, whether a send whose answer was lost needs another.
    func send(_ transaction: SolanaTransaction, preflightCommitment: SolanaCommitment) async throws(SolanaRPCError)
        -> SolanaSignature
    /// `getSignatureStatuses` with `searchTransactionHistory`; nil for a signature the cluster does not know.
    func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?]
    /// `getTransaction` (base64); nil when the cluster has no such transaction at that commitment.
    func transaction(_ signature: SolanaSignature, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> FetchedTransaction?
    /// `getAccountInfo` (base64); nil for an account that does not exist.
    func accountInfo(_ account: SolanaPublicKey, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> AccountInfo?
}

/// The answer of `getLatestBlockhash`.
public struct LatestBlockhash: Sendable, Equatable {
    public var blockhash: SolanaHash
    public var lastValidBlockHeight: UInt64
    public init(blockhash: SolanaHash, lastValidBlockHeight: UInt64) {
        self.blockhash = blockhash
        self.lastValidBlockHeight = lastValidBlockHeight
    }
}

/// The answer of `simulateTransaction`: the error (a Solana `TransactionError` as JSON) or none, and logs.
public struct SimulationResult: Sendable, Equatable {
    public var error: JSONValue?
    public var logs: [String]
    public var unitsConsumed: UInt64?
    public init(error: JSONValue?, logs: [String], unitsConsumed: UInt64? = nil) {
        self.error = error
        self.logs = logs
        self.unitsConsumed = unitsConsumed
    }
}

/// One entry of `getSignatureStatuses`.
public struct SignatureStatus: Sendable, Equatable {
    /// The slot it was processed in.
    public var slot: UInt64
    /// The transaction's error, or nil when it succeeded.
    public var error: JSONValue?
    /// How settled it is; nil once it is older than the status cache and only in history.
    public var confirmationStatus: SolanaCommitment?
    public init(slot: UInt64, error: JSONValue?, confirmationStatus: SolanaCommitment?) {
        self.slot = slot
        self.error = error
        self.confirmationStatus = confirmationStatus
    }

    /// Whether it has reached `commitment` (a status without a level is from history: finalized).
    public func reached(_ commitment: SolanaCommitment) -> Bool {
        (confirmationStatus ?? .finalized) >= commitment
    }
}

/// A token balance of `getTransaction`'s `meta.preTokenBalances` / `postTokenBalances`.
public struct TokenBalance: Sendable, Equatable {
    public var accountIndex: Int
    public var mint: SolanaPublicKey
    public var owner: SolanaPublicKey?
    public var programId: SolanaPublicKey?
    public var amount: UInt64
    public var decimals: UInt8
    public init(
        accountIndex: Int, mint: SolanaPublicKey, owner: SolanaPublicKey?, programId: SolanaPublicKey?, amount: UInt64,
        decimals: UInt8
    ) {
        self.accountIndex = accountIndex
        self.mint = mint
        self.owner = owner
        self.programId = programId
        self.amount = amount
        self.decimals = decimals
    }
}

/// The answer of `getTransaction`.
public struct FetchedTransaction: Sendable, Equatable {
    public var slot: UInt64
    public var blockTime: Int64?
    public var transaction: SolanaTransaction
    /// The transaction's error, or nil when it succeeded.
    public var error: JSONValue?
    public var preTokenBalances: [TokenBalance]
    public var postTokenBalances: [TokenBalance]
    public init(
        slot: UInt64, blockTime: Int64?, transaction: SolanaTransaction, error: JSONValue?,
        preTokenBalances: [TokenBalance], postTokenBalances: [TokenBalance]
    ) {
        self.slot = slot
        self.blockTime = blockTime
        self.transaction = transaction
        self.error = error
        self.preTokenBalances = preTokenBalances
        self.postTokenBalances = postTokenBalances
    }
}

/// The answer of `getAccountInfo`.
public struct AccountInfo: Sendable, Equatable {
    public var lamports: UInt64
    public var owner: SolanaPublicKey
    public var data: [UInt8]
    public var executable: Bool
    public init(lamports: UInt64, owner: SolanaPublicKey, data: [UInt8], executable: Bool) {
        self.lamports = lamports
        self.owner = owner
        self.data = data
        self.executable = executable
    }

    /// The decimals of an SPL mint (byte 44 of its 82-byte layout), when this is a mint of a token program.
    public var mintDecimals: UInt8? {
        guard SolanaPrograms.tokenPrograms.contains(owner), data.count >= 82, data[45] == 1 else { return nil }
        return data[44]
    }
}
