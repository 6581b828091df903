import KuraCrypto
import KuraSolana

/// What a facilitator holds for one Solana network: the fee payers it signs with, and its limits.
public struct SolanaExactPolicy: Sendable, Equatable {
    /// The reference implementation's cap: 5 lamports (5 000 000 micro-lamports) per compute unit.
    public static let defaultMaxComputeUnitPrice: UInt64 = 5_000_000

    /// The network.
    public var network: SolanaNetwork
    /// The fee payers the facilitator holds keys for on it.
    public var feePayers: [SolanaPublicKey]
    /// The highest compute unit price accepted, in micro-lamports.
    public var maxComputeUnitPrice: UInt64

    public init(
        network: SolanaNetwork, feePayers: [SolanaPublicKey], maxComputeUnitPrice: UInt64 = defaultMaxComputeUnitPrice
    ) {
        self.network = network
        self.feePayers = feePayers
        self.maxComputeUnitPrice = maxComputeUnitPrice
    }
}

/// An `exact` payment on Solana whose transaction passed every offline check.
public struct VerifiedSolanaPayment: Sendable, Equatable {
    /// The transaction as the client signed it (the fee payer's slot not yet signed).
    public var transaction: SolanaTransaction
    /// The fee payer, one of the facilitator's.
    public var feePayer: SolanaPublicKey
    /// Who pays: the transfer's authority.
    public var payer: SolanaPublicKey
    /// Token or Token-2022.
    public var tokenProgram: SolanaPublicKey
    /// The token accounts and the mint.
    public var source: SolanaPublicKey
    public var destination: SolanaPublicKey
    public var mint: SolanaPublicKey
    /// Atomic units transferred, and the mint's decimals as the transfer states them.
    public var amount: UInt64
    public var decimals: UInt8
    /// The Memo texts, in order.
    public var memos: [String]
    /// The message hash: what the facilitator settles once (computed when asked: the checks do not need it).
    public var messageHash: SolanaHash { transaction.messageHash }
}

/// The `exact` scheme on Solana (coinbase/x402 `specs/schemes/exact/scheme_exact_svm.md`), the
/// facilitator's offline checks: pure, no clock, no network. The simulation that follows them needs the
/// cluster and is the caller's.
///
/// In the order of the official SDKs' facilitators, each refusal with their reason code: scheme, network,
/// fee payer, the transaction decodes, 3 to 6 instructions, compute limit, compute price (capped), a
/// `TransferChecked` of a token program, only Memo or Lighthouse after it, `extra.memo`, the fee payer kept
/// out of every instruction, mint, destination, amount; then, Kura's addition, every signature but the fee
/// payer's. Structure comes before signatures, so a field changed after signing is refused for what it
/// changed; a change the structure checks allow (a higher amount) is a signature failure.
public enum SolanaExact {
    /// The scheme's name.
    public static let scheme = "exact"

    /// Checks `payment` against `requirements` under `policy`.
    public static func verify(
        _ payment: PaymentPayload, against requirements: PaymentRequirements, policy: SolanaExactPolicy
    ) throws(X402Refusal) -> VerifiedSolanaPayment {
        guard requirements.scheme == scheme, payment.accepted.scheme == scheme else {
            throw X402Refusal(.unsupportedScheme, "only scheme 'exact' is settled on Solana")
        }
        guard requirements.network == policy.network.id else {
            throw X402Refusal(
                .invalidNetwork, "this facilitator settles on \(policy.network), not \(requirements.network)")
        }
        guard payment.accepted.network == requirements.network else {
            throw X402Refusal(.svmNetworkMismatch, "the payment is for network '\(payment.accepted.network)'")
        }
        guard case .string(let feePayerText)? = requirements.extra?["feePayer"] else {
            throw X402Refusal(.svmMissingFeePayer, "extra.feePayer must name the fee payer")
        }
        guard let feePayer = try? SolanaPublicKey(base58: feePayerText), policy.feePayers.contains(feePayer) else {
            throw X402Refusal(.svmFeePayerNotManaged, "\(feePayerText) is not a fee payer of this facilitator")
        }
        guard case .string(let encoded)? = payment.payload["transaction"] else {
            throw X402Refusal(.svmUndecodable, "payload.transaction must be a base64 transaction")
        }
        let transaction: SolanaTransaction
        do { transaction = try SolanaTransaction(base64: encoded) } catch {
            throw X402Refusal(.svmUndecodable, "the transaction does not decode: \(error.detail)")
        }
        let message = transaction.message
        guard message.feePayer == feePayer else {
            throw X402Refusal(
                .svmFeePayerNotManaged, "the transaction's fee payer is \(message.feePayer), not \(feePayer)")
        }
        let instructions = message.instructions
        guard (3...6).contains(instructions.count) else {
            throw X402Refusal(
                .svmInstructionsLength, "the transaction has \(instructions.count) instructions, not 3 to 6")
        }
        guard case .setComputeUnitLimit? = try? DecodedInstruction.decode(instructions[0], in: message) else {
            throw X402Refusal(.svmComputeLimit, "the first instruction must be SetComputeUnitLimit")
        }
        guard case .setComputeUnitPrice(let price)? = try? DecodedInstruction.decode(instructions[1], in: message)
        else { throw X402Refusal(.svmComputePrice, "the second instruction must be SetComputeUnitPrice") }
        guard price <= policy.maxComputeUnitPrice else {
            throw X402Refusal(
                .svmComputePriceTooHigh,
                "the compute unit price is \(price) micro-lamports, above \(policy.maxComputeUnitPrice)")
        }
        let transfer = try self.transfer(instructions[2], in: message)
        let memos = try optionals(Array(instructions.dropFirst(3)), in: message, expected: requirements.extra?["memo"])
        let accounts = try staticAccounts(transfer)
        try keepOut(feePayers: policy.feePayers, of: message, accounts)
        guard (try? SolanaPublicKey(base58: requirements.asset)) == accounts.mint else {
            throw X402Refusal(.svmMintMismatch, "the transfer is of mint \(accounts.mint), not \(requirements.asset)")
        }
        guard let payTo = try? SolanaPublicKey(base58: requirements.payTo) else {
            throw X402Refusal(.svmRecipientMismatch, "payTo \(requirements.payTo) is not a Solana address")
        }
        let expected = AssociatedTokenAccount.address(owner: payTo, mint: accounts.mint, tokenProgram: transfer.program)
        guard accounts.destination == expected else {
            throw X402Refusal(
                .svmRecipientMismatch,
                "the transfer goes to \(accounts.destination), not \(expected), the token account of \(payTo)")
        }
        guard transfer.amount >= requirements.amount.units else {
            throw X402Refusal(
                .svmAmountInsufficient, "the transfer is of \(transfer.amount), the requirement \(requirements.amount)")
        }
        if let unsigned = transaction.firstUnsigned(except: [feePayer]) {
            throw X402Refusal(
                .svmSignature,
                unsigned.check == .missing
                    ? "\(unsigned.signer) has not signed the transaction"
                    : "the signature of \(unsigned.signer) is not valid over this message")
        }
        return VerifiedSolanaPayment(
            transaction: transaction, feePayer: feePayer, payer: accounts.authority, tokenProgram: transfer.program,
            source: accounts.source, destination: accounts.destination, mint: accounts.mint, amount: transfer.amount,
            decimals: transfer.decimals, memos: memos)
    }

    /// The payer named by a payment whose transaction at least decodes (the transfer's authority), for
    /// the `payer` of a refusal; nil when it cannot be told.
    public static func payer(of payment: PaymentPayload) -> String? {
        guard case .string(let encoded)? = payment.payload["transaction"],
            let transaction = try? SolanaTransaction(base64: encoded)
        else { return nil }
        for instruction in transaction.message.instructions {
            if case .transferChecked(let transfer)? = try? DecodedInstruction.decode(
                instruction, in: transaction.message),
                let authority = transfer.authority.staticKey
            {
                return authority.base58
            }
        }
        return nil
    }

    private static func transfer(_ instruction: CompiledInstruction, in message: SolanaMessage) throws(X402Refusal)
        -> TransferChecked
    {
        let program = message.program(of: instruction)
        guard SolanaPrograms.tokenPrograms.contains(program) else {
            throw X402Refusal(.svmNoTransfer, "the third instruction calls \(program), not a token program")
        }
        let decoded: DecodedInstruction
        do { decoded = try DecodedInstruction.decode(instruction, in: message) } catch {
            throw X402Refusal(.svmNoTransfer, "the third instruction is not a TransferChecked: \(error.detail)")
        }
        guard case .transferChecked(let transfer) = decoded else {
            throw X402Refusal(.svmNoTransfer, "the third instruction is not a TransferChecked")
        }
        return transfer
    }

    private static let optionalReasons: [X402Reason] = [.svmUnknownFourth, .svmUnknownFifth, .svmUnknownSixth]

    /// Only Memo and Lighthouse after the transfer; the memo texts; `extra.memo`, when set, exactly once.
    private static func optionals(
        _ instructions: [CompiledInstruction], in message: SolanaMessage, expected: JSONValue?
    ) throws(X402Refusal) -> [String] {
        var memos: [[UInt8]] = []
        for (i, instruction) in instructions.enumerated() {
            let program = message.program(of: instruction)
            if program == SolanaPrograms.memo {
                memos.append(instruction.data)
            } else if program != SolanaPrograms.lighthouse {
                throw X402Refusal(
                    optionalReasons[i], "instruction \(i + 4) calls \(program), neither Memo nor Lighthouse")
            }
        }
        if case .string(let memo)? = expected, !memo.isEmpty {
            guard memos.count == 1 else {
                throw X402Refusal(.svmMemoCount, "extra.memo is set and the transaction has \(memos.count) memos")
            }
            guard memos[0] == Array(memo.utf8) else {
                throw X402Refusal(.svmMemoMismatch, "the memo is not extra.memo")
            }
        }
        return memos.map { String(decoding: $0, as: UTF8.self) }
    }

    private struct TransferAccounts {
        let source: SolanaPublicKey
        let mint: SolanaPublicKey
        let destination: SolanaPublicKey
        let authority: SolanaPublicKey
    }

    private static func staticAccounts(_ transfer: TransferChecked) throws(X402Refusal) -> TransferAccounts {
        guard let source = transfer.source.staticKey, let mint = transfer.mint.staticKey,
            let destination = transfer.destination.staticKey, let authority = transfer.authority.staticKey
        else {
            throw X402Refusal(
                .svmAccountsFromLookupTable,
                "the transfer's accounts must be written in the message, not loaded from a lookup table")
        }
        return TransferAccounts(source: source, mint: mint, destination: destination, authority: authority)
    }

    /// The fee payer pays the fee and nothing else: it is not the transfer's authority or source, and no
    /// instruction is given it (specification, "Fee payer (facilitator) safety").
    private static func keepOut(
        feePayers: [SolanaPublicKey], of message: SolanaMessage, _ accounts: TransferAccounts
    ) throws(X402Refusal) {
        if feePayers.contains(accounts.authority) || feePayers.contains(accounts.source) {
            throw X402Refusal(.svmFeePayerTransferring, "the fee payer may not move its own funds")
        }
        let indexes = Set(
            feePayers.compactMap { payer in message.accountKeys.firstIndex(of: payer) }.map { UInt8($0) })
        for (i, instruction) in message.instructions.enumerated()
        where instruction.accounts.contains(where: indexes.contains) {
            throw X402Refusal(.svmFeePayerTransferring, "instruction \(i + 1) is given the fee payer's account")
        }
    }
}
