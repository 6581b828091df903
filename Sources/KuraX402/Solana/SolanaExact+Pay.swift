import KuraCrypto
import KuraSolana

extension SolanaExact {
    /// The compute unit limit the official clients ask for (`DEFAULT_COMPUTE_UNIT_LIMIT`).
    public static let defaultComputeUnitLimit: UInt32 = 20_000
    /// The compute unit price they offer, in micro-lamports.
    public static let defaultComputeUnitPrice: UInt64 = 1
    /// The longest `extra.memo`, in UTF-8 bytes.
    public static let maxMemoBytes = 256

    /// The client's side: the transaction the official clients build for `requirements` (SetComputeUnitLimit,
    /// SetComputeUnitPrice, `TransferChecked` of the amount from the payer's associated token account to
    /// `payTo`'s, and a Memo of `extra.memo` or, without one, of `nonce`), as a v0 message paid by
    /// `extra.feePayer`, signed by the payer only. Pure: the caller brings the blockhash, the mint's token
    /// program and decimals (from the cluster) and a fresh nonce (16 random bytes, hex, as the SDKs write it).
    public static func pay(
        _ requirements: PaymentRequirements, resource: ResourceInfo?, payer: Ed25519.SecretKey,
        tokenProgram: SolanaPublicKey, decimals: UInt8, recentBlockhash: SolanaHash, nonce: [UInt8],
        extensions: [String: JSONValue]? = nil
    ) throws(X402Refusal) -> PaymentPayload {
        guard case .string(let feePayerText)? = requirements.extra?["feePayer"],
            let feePayer = try? SolanaPublicKey(base58: feePayerText)
        else { throw X402Refusal(.svmMissingFeePayer, "the requirement names no fee payer in extra.feePayer") }
        guard let mint = try? SolanaPublicKey(base58: requirements.asset) else {
            throw X402Refusal(.invalidPaymentRequirements, "asset \(requirements.asset) is not a mint address")
        }
        guard let payTo = try? SolanaPublicKey(base58: requirements.payTo) else {
            throw X402Refusal(.invalidPaymentRequirements, "payTo \(requirements.payTo) is not a Solana address")
        }
        let memo: String
        if case .string(let text)? = requirements.extra?["memo"], !text.isEmpty {
            guard text.utf8.count <= maxMemoBytes else {
                throw X402Refusal(.invalidPaymentRequirements, "extra.memo is over \(maxMemoBytes) bytes")
            }
            memo = text
        } else {
            memo = Hex.encode(nonce)
        }
        let owner = SolanaPublicKey(payer.publicKey)
        let instructions: [Instruction] = [
            .setComputeUnitLimit(defaultComputeUnitLimit),
            .setComputeUnitPrice(microLamports: defaultComputeUnitPrice),
            .transferChecked(
                program: tokenProgram,
                source: AssociatedTokenAccount.address(owner: owner, mint: mint, tokenProgram: tokenProgram),
                mint: mint,
                destination: AssociatedTokenAccount.address(owner: payTo, mint: mint, tokenProgram: tokenProgram),
                authority: owner, amount: requirements.amount.units, decimals: decimals),
            .memo(memo),
        ]
        let transaction: SolanaTransaction
        do {
            let message = try SolanaMessage.compile(
                payer: feePayer, instructions: instructions, recentBlockhash: recentBlockhash)
            transaction = try SolanaTransaction(message: message).signed(with: payer)
        } catch {
            throw X402Refusal(.invalidPaymentRequirements, "cannot build the transaction: \(error.detail)")
        }
        return PaymentPayload(
            resource: resource, accepted: requirements, payload: ["transaction": .string(transaction.base64)],
            extensions: extensions)
    }
}
