import Foundation
import KuraCore
import KuraCrypto
import KuraSolana
import KuraX402

/// A Solana wallet for ``X402Payer``: the key that signs (and pays the fee), a JSON-RPC endpoint, and the
/// commitment to wait for before showing the transaction as a receipt (Kura checks receipts at its own,
/// `finalized` by default).
public struct SolanaWallet: Sendable {
    public var key: Ed25519.SecretKey
    public var rpc: any SolanaRPC
    public var commitment: SolanaCommitment
    public var timeout: Duration
    public var pollInterval: Duration

    public init(
        key: Ed25519.SecretKey, rpc: any SolanaRPC, commitment: SolanaCommitment = .finalized,
        timeout: Duration = .seconds(60), pollInterval: Duration = .milliseconds(500)
    ) {
        self.key = key
        self.rpc = rpc
        self.commitment = commitment
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// The wallet's address.
    public var address: SolanaPublicKey { SolanaPublicKey(key.publicKey) }
}

extension X402Payer {
    /// Pays a seed-dialect 402 on Solana: within the limits (asset = the mint, payee = the recipient), a
    /// `TransferChecked` of the amount from the wallet's token account to the recipient's, with a Memo of
    /// `X-Payment-ID`, sent once and awaited; then the retry with `X-Payment-Receipt` (the signature) and
    /// `X-Payment-ID`, repeated as is after a transport failure (the payment is never made twice).
    func payOnSolana(_ url: String, _ seed: SeedPaymentRequest, wallet: SolanaWallet, attempts: Int)
        async throws(KuraClientError) -> Answer
    {
        let nowMs = Int64(now().timeIntervalSince1970 * 1000)
        switch limits.decide(
            amount: seed.amount.units, asset: seed.token, payee: seed.recipient, now: nowMs, spent: spent)
        {
        case .withinLimits: break
        case .escrowOnly(let why), .refused(let why):
            throw KuraClientError(kind: .refused, status: 402, code: "over_limit", detail: why)
        }
        let signature = try await transfer(seed, wallet)
        let spend = SpendingLimits.Spend(
            at: nowMs, payee: seed.recipient, asset: seed.token, amount: seed.amount.units)
        spent.append(spend)
        let headers = [(SeedHeaders.receipt, signature.base58), (SeedHeaders.id, seed.paymentID)]
        var attempt = 0
        while true {
            attempt += 1
            do {
                let answer = try await fetch(url, payment: nil, headers: headers)
                return Answer(answer, settlement: nil, scheme: nil, paymentID: seed.paymentID)
            } catch {
                guard error.kind == .retryable, attempt < attempts else { throw error }
                try? await Task.sleep(for: .milliseconds(100 << attempt))
            }
        }
    }

    /// Builds, signs, sends and awaits the transfer; its signature.
    func transfer(_ seed: SeedPaymentRequest, _ wallet: SolanaWallet) async throws(KuraClientError) -> SolanaSignature {
        func failed(_ detail: String) -> KuraClientError {
            KuraClientError(kind: .refused, status: 402, code: "solana_payment_failed", detail: detail)
        }
        let mint: SolanaPublicKey
        let recipient: SolanaPublicKey
        do {
            mint = try SolanaPublicKey(base58: seed.token)
            recipient = try SolanaPublicKey(base58: seed.recipient)
        } catch { throw failed("the 402 names no Solana mint and recipient: \(error.detail)") }
        do {
            guard let info = try await wallet.rpc.accountInfo(mint, commitment: .confirmed),
                let decimals = info.mintDecimals
            else { throw failed("\(mint) is not a token mint") }
            let latest = try await wallet.rpc.latestBlockhash(commitment: .confirmed)
            let program = info.owner
            let message = try SolanaMessage.compile(
                payer: wallet.address,
                instructions: [
                    .transferChecked(
                        program: program,
                        source: AssociatedTokenAccount.address(
                            owner: wallet.address, mint: mint, tokenProgram: program),
                        mint: mint,
                        destination: AssociatedTokenAccount.address(
                            owner: recipient, mint: mint, tokenProgram: program),
                        authority: wallet.address, amount: seed.amount.units, decimals: decimals),
                    .memo(seed.paymentID),
                ], recentBlockhash: latest.blockhash)
            let tx = try SolanaTransaction(message: message).signed(with: wallet.key)
            _ = try await wallet.rpc.send(tx, preflightCommitment: .confirmed)
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: wallet.timeout)
            while clock.now < deadline {
                if let status = try await wallet.rpc.signatureStatuses([tx.id]).first ?? nil {
                    if let error = status.error { throw failed("the transfer failed on chain: \(error)") }
                    if status.reached(wallet.commitment) { return tx.id }
                }
                try? await Task.sleep(for: wallet.pollInterval)
            }
            throw failed("transfer \(tx.id) not \(wallet.commitment.rawValue) in time")
        } catch let error as KuraClientError {
            throw error
        } catch let error as SolanaRPCError {
            throw KuraClientError(kind: .retryable, status: nil, code: "unavailable", detail: "\(error)")
        } catch let error as SolanaError {
            throw failed(error.detail)
        } catch {
            throw failed("\(error)")
        }
    }
}
