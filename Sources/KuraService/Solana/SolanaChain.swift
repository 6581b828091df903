import KuraCore
import KuraCrypto
import KuraSolana
import Synchronization

/// Reading a sent transaction's fate from the cluster, and waiting for it.
enum SolanaChain {
    /// What the cluster says now about `signature`, sent with a message on `blockhash`: nil when the node
    /// did not answer (nothing can be concluded).
    ///
    /// The blockhash is asked first, the status second: an unknown signature whose blockhash had already expired
    /// can never land. Expired means invalid at the tip (`processed`: a blockhash older than the tip's window is
    /// older still on every bank built later) and at `finalized`. Invalid at `finalized` alone says nothing: the
    /// finalized bank is some 32 slots behind the tip and does not know a blockhash taken at `confirmed` yet, so
    /// a transaction just sent would have been failed while it landed (review finding).
    static func observe(_ signature: SolanaSignature, blockhash: SolanaHash, rail: SolanaRail) async
        -> SolanaObservation?
    {
        do {
            var stillValid = try await rail.rpc.isBlockhashValid(blockhash, commitment: .processed)
            if !stillValid { stillValid = try await rail.rpc.isBlockhashValid(blockhash, commitment: .finalized) }
            guard let status = try await rail.rpc.signatureStatuses([signature]).first else { return nil }
            if let status {
                // A status short of the commitment is one fork's view: the same transaction may fail on a fork the
                // cluster abandons and succeed on the one it keeps. Only a failure at the commitment is final (a
                // withdrawal's funds go back on it), as only a success there is.
                guard status.reached(rail.commitment) else { return .pending }
                if let error = status.error {
                    return .failed(
                        reason: "transaction_failed", detail: "the transaction failed on chain: \(describe(error))")
                }
                return .confirmed(slot: status.slot)
            }
            if stillValid { return .pending }
            return .failed(
                reason: "transaction_failed",
                detail: "blockhash \(blockhash) expired before the transaction landed; it never will")
        } catch {
            return nil
        }
    }

    /// Polls until the transaction is decided or `confirmTimeoutMs` passes (then `.pending`).
    static func await(_ signature: SolanaSignature, blockhash: SolanaHash, rail: SolanaRail) async -> SolanaObservation
    {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(rail.confirmTimeoutMs))
        while true {
            if let observed = await observe(signature, blockhash: blockhash, rail: rail), observed != .pending {
                return observed
            }
            guard clock.now < deadline else { return .pending }
            try? await Task.sleep(for: .milliseconds(max(10, rail.pollIntervalMs)))
        }
    }

    /// What a refused `sendTransaction` means: a preflight or signature failure is a transaction that was not
    /// sent (it failed); anything else (no answer, a timeout) leaves it unknown.
    static func sendFailure(_ error: SolanaRPCError) -> SolanaObservation? {
        switch error.code {
        case .sendTransactionPreflightFailure, .transactionSignatureVerificationFailure,
            .transactionSignatureLenMismatch, .unsupportedTransactionVersion, .invalidParams:
            let err = error.data?["err"].map(describe) ?? error.detail
            return .failed(reason: "transaction_failed", detail: "the node refused the transaction: \(err)")
        default:
            return nil
        }
    }

    static func describe(_ value: JSONValue) -> String { (try? value.canonicalString()) ?? "error" }
}

/// The message hashes this process is settling or reconciling right now, so that a concurrent settle of the same
/// transaction is answered at once (the log, not this set, makes settlement happen once: across processes and
/// restarts it is the `solana.submitted` claim that decides).
final class SolanaInFlight: Sendable {
    /// Who holds a message hash.
    enum Holder: Sendable { case settle, reconciler }

    private let keys = Mutex<[String: Holder]>([:])

    /// Takes `key` for `holder`: nil when taken now, else who holds it already.
    func begin(_ key: String, for holder: Holder) -> Holder? {
        keys.withLock { keys in
            if let current = keys[key] { return current }
            keys[key] = holder
            return nil
        }
    }

    func end(_ key: String) { _ = keys.withLock { $0.removeValue(forKey: key) } }
}
