import Foundation
import KuraCrypto
import KuraSolana
import Synchronization

/// The state of the Solana stand-in: a one-node cluster that keeps mints, token accounts and lamports,
/// checks signatures, and executes the transactions it is sent (Compute Budget, SPL Token and Token-2022
/// `TransferChecked`, Memo, Lighthouse as a no-op) all or nothing, with the errors the real programs give.
///
/// Time is slots: every status poll or send advances one slot, so confirmations progress while a client
/// waits; a transaction is `processed` when it lands, `confirmed` a slot later and `finalized`
/// ``finalityLag`` slots later. Faults can be injected: expire every blockhash, fail the next simulations,
/// accept sends without landing them, and lose confirmations (statuses and transactions answer null).
public final class SolanaStandInLedger: Sendable {
    /// A mint.
    public struct Mint: Sendable, Equatable {
        public var decimals: UInt8
        public var program: SolanaPublicKey
        public var supply: UInt64
    }

    /// A token account.
    public struct TokenAccount: Sendable, Equatable {
        public var mint: SolanaPublicKey
        public var owner: SolanaPublicKey
        public var program: SolanaPublicKey
        public var amount: UInt64
    }

    /// A transaction that landed.
    public struct Landed: Sendable {
        public var slot: UInt64
        public var transaction: SolanaTransaction
        public var error: JSONValue?
        public var fee: UInt64
        public var logs: [String]
        public var preTokenBalances: [JSONValue]
        public var postTokenBalances: [JSONValue]
    }

    struct State {
        var slot: UInt64 = 1000
        var blockhashes: [SolanaHash: UInt64] = [:]
        var current = SolanaHash.standIn(0)
        var blockhashCounter: UInt64 = 0
        var mints: [SolanaPublicKey: Mint] = [:]
        var tokenAccounts: [SolanaPublicKey: TokenAccount] = [:]
        var lamports: [SolanaPublicKey: UInt64] = [:]
        var landed: [SolanaSignature: Landed] = [:]
        var landedMessages: Set<SolanaHash> = []
        var failSimulations = 0
        var simulationError: JSONValue = ["InstructionError": [2, ["Custom": 1]]]
        var dropSends = 0
        var confirmationsLost = false
        var sendCalls = 0
        var simulateCalls = 0
        var executions: [SolanaSignature: Int] = [:]
        var httpFailures = 0
        var delays: [Duration] = []
    }

    /// Lamports charged per signature.
    public static let feePerSignature: UInt64 = 5000
    /// How many blocks a blockhash stays valid.
    public static let blockhashLifetime: UInt64 = 150

    let state = Mutex(State())
    /// Slots from landing to `finalized`.
    public let finalityLag: UInt64
    /// The genesis hash, and so the network (`solana:` + its base58 prefix).
    public let genesisHash: SolanaHash

    /// A fresh cluster with one valid blockhash.
    public init(finalityLag: UInt64 = 2, genesisSeed: String = "kura-stand-in") {
        self.finalityLag = finalityLag
        self.genesisHash = SolanaHash.standIn(seed: genesisSeed)
        state.withLock { Self.newBlockhash(&$0) }
    }

    /// The CAIP-2 network of this cluster.
    public var network: SolanaNetwork { SolanaNetwork(genesisHash: genesisHash) }

    // MARK: Setting up

    /// Creates a mint (idempotent: the same mint again keeps its supply).
    public func createMint(_ mint: SolanaPublicKey, decimals: UInt8, program: SolanaPublicKey = SolanaPrograms.token) {
        state.withLock { state in
            if state.mints[mint] == nil { state.mints[mint] = Mint(decimals: decimals, program: program, supply: 0) }
        }
    }

    /// Mints `amount` into the associated token account of `owner`, creating it.
    @discardableResult
    public func mint(_ amount: UInt64, of mint: SolanaPublicKey, to owner: SolanaPublicKey) -> SolanaPublicKey {
        state.withLock { state in
            let program = state.mints[mint]?.program ?? SolanaPrograms.token
            let account = AssociatedTokenAccount.address(owner: owner, mint: mint, tokenProgram: program)
            state.tokenAccounts[account, default: TokenAccount(mint: mint, owner: owner, program: program, amount: 0)]
                .amount += amount
            state.mints[mint]?.supply += amount
            return account
        }
    }

    /// Creates the (empty) associated token account of `owner` for `mint`.
    @discardableResult
    public func openAccount(of owner: SolanaPublicKey, mint: SolanaPublicKey) -> SolanaPublicKey {
        self.mint(0, of: mint, to: owner)
    }

    /// Gives `address` lamports (for fees).
    public func fund(_ address: SolanaPublicKey, lamports: UInt64) {
        state.withLock { $0.lamports[address, default: 0] += lamports }
    }

    // MARK: Faults

    /// Every blockhash issued so far stops being valid; a new one is issued.
    public func expireBlockhashes() {
        state.withLock { state in
            state.blockhashes.removeAll()
            Self.newBlockhash(&state)
        }
    }

    /// The next `count` simulations (and send preflights) fail with `error`.
    public func failSimulations(_ count: Int, error: JSONValue? = nil) {
        state.withLock { state in
            state.failSimulations = count
            if let error { state.simulationError = error }
        }
    }

    /// The next `count` sends answer a signature but the transaction never lands.
    public func dropSends(_ count: Int) { state.withLock { $0.dropSends = count } }

    /// While lost, statuses and transactions answer null even for transactions that landed.
    public func loseConfirmations(_ lost: Bool) { state.withLock { $0.confirmationsLost = lost } }

    /// The next `count` HTTP requests are answered 503 without being read.
    public func failHTTP(_ count: Int) { state.withLock { $0.httpFailures = count } }

    /// The next `count` HTTP requests are answered only after `delay`.
    public func delay(_ count: Int, by delay: Duration) {
        state.withLock { $0.delays = Array(repeating: delay, count: count) }
    }

    /// What to do with the next HTTP request: fail it (true), delay it, or neither.
    func takeHTTPFault() -> (fail: Bool, delay: Duration?) {
        state.withLock { state in
            if state.httpFailures > 0 {
                state.httpFailures -= 1
                return (true, nil)
            }
            return (false, state.delays.isEmpty ? nil : state.delays.removeFirst())
        }
    }

    // MARK: Reading

    /// The token balance of an account (0 when it does not exist).
    public func balance(of account: SolanaPublicKey) -> UInt64 {
        state.withLock { $0.tokenAccounts[account]?.amount ?? 0 }
    }

    /// The token balance of the associated token account of `owner` for `mint`.
    public func balance(owner: SolanaPublicKey, mint: SolanaPublicKey) -> UInt64 {
        state.withLock { state in
            let program = state.mints[mint]?.program ?? SolanaPrograms.token
            return state.tokenAccounts[AssociatedTokenAccount.address(owner: owner, mint: mint, tokenProgram: program)]?
                .amount ?? 0
        }
    }

    /// Lamports of an address.
    public func lamports(of address: SolanaPublicKey) -> UInt64 { state.withLock { $0.lamports[address] ?? 0 } }

    /// How many `sendTransaction` calls were made, and how many times each signature was executed.
    public var sendCalls: Int { state.withLock { $0.sendCalls } }
    public var simulateCalls: Int { state.withLock { $0.simulateCalls } }
    public func executions(of signature: SolanaSignature) -> Int { state.withLock { $0.executions[signature] ?? 0 } }
    public var landedCount: Int { state.withLock { $0.landed.count } }

    /// The transaction that landed under `signature`, whatever the fault settings.
    public func landed(_ signature: SolanaSignature) -> Landed? { state.withLock { $0.landed[signature] } }

    /// The current blockhash and the last block height it is valid at.
    public func latestBlockhash() -> (SolanaHash, UInt64) {
        state.withLock { ($0.current, $0.blockhashes[$0.current] ?? 0) }
    }

    // MARK: Internals

    static func newBlockhash(_ state: inout State) {
        state.blockhashCounter += 1
        state.current = SolanaHash.standIn(state.blockhashCounter)
        state.blockhashes[state.current] = state.slot + blockhashLifetime
    }
}

extension SolanaHash {
    static func standIn(_ counter: UInt64) -> SolanaHash { standIn(seed: "kura-stand-in-blockhash-\(counter)") }
    static func standIn(seed: String) -> SolanaHash {
        guard let hash = try? SolanaHash(bytes: SHA256.hash(seed)) else { preconditionFailure("SHA-256 is 32 bytes") }
        return hash
    }
}
