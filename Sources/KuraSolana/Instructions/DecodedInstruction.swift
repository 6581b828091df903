/// Compute Budget instruction tags.
public enum ComputeBudget {
    /// `SetComputeUnitLimit(u32)`.
    public static let setComputeUnitLimitTag: UInt8 = 2
    /// `SetComputeUnitPrice(u64)` (micro-lamports per compute unit).
    public static let setComputeUnitPriceTag: UInt8 = 3
}

/// An SPL Token or Token-2022 `TransferChecked`: move `amount` of `mint` (with `decimals`) from `source` to
/// `destination`, authorised by `authority` (the source's owner or delegate).
public struct TransferChecked: Sendable, Equatable, Hashable {
    /// The instruction tag (12) in both token programs.
    public static let tag: UInt8 = 12

    /// Token or Token-2022.
    public var program: SolanaPublicKey
    /// The token account debited.
    public var source: MessageAccount
    /// The mint.
    public var mint: MessageAccount
    /// The token account credited.
    public var destination: MessageAccount
    /// Who authorises the debit.
    public var authority: MessageAccount
    /// Further signers of a multisig authority.
    public var multisigSigners: [MessageAccount]
    /// Atomic units.
    public var amount: UInt64
    /// The mint's decimals, which the program checks.
    public var decimals: UInt8

    public init(
        program: SolanaPublicKey, source: MessageAccount, mint: MessageAccount, destination: MessageAccount,
        authority: MessageAccount, multisigSigners: [MessageAccount], amount: UInt64, decimals: UInt8
    ) {
        self.program = program
        self.source = source
        self.mint = mint
        self.destination = destination
        self.authority = authority
        self.multisigSigners = multisigSigners
        self.amount = amount
        self.decimals = decimals
    }
}

/// An instruction of a message read for what it does. Known programs are decoded strictly; a known program
/// with data that does not fit is ``SolanaError/Kind/malformedInstruction``; anything else is `.unknown`.
public enum DecodedInstruction: Sendable, Equatable, Hashable {
    /// Compute Budget `SetComputeUnitLimit`.
    case setComputeUnitLimit(units: UInt32)
    /// Compute Budget `SetComputeUnitPrice`.
    case setComputeUnitPrice(microLamports: UInt64)
    /// Token or Token-2022 `TransferChecked`.
    case transferChecked(TransferChecked)
    /// SPL Memo: its UTF-8 text and the accounts that sign it.
    case memo(text: String, signers: [MessageAccount])
    /// Anything else: another program, or another instruction of a known one.
    case unknown(program: SolanaPublicKey, tag: UInt8?)

    /// Decodes `instruction` of `message`.
    public static func decode(
        _ instruction: CompiledInstruction, in message: SolanaMessage
    ) throws(SolanaError) -> DecodedInstruction {
        let program = message.program(of: instruction)
        let data = instruction.data
        switch program {
        case SolanaPrograms.computeBudget:
            switch data.first {
            case ComputeBudget.setComputeUnitLimitTag:
                guard data.count == 5 else {
                    throw SolanaError(.malformedInstruction, "SetComputeUnitLimit data is 5 bytes, got \(data.count)")
                }
                return .setComputeUnitLimit(units: LittleEndian.uint32(data[1..<5]))
            case ComputeBudget.setComputeUnitPriceTag:
                guard data.count == 9 else {
                    throw SolanaError(.malformedInstruction, "SetComputeUnitPrice data is 9 bytes, got \(data.count)")
                }
                return .setComputeUnitPrice(microLamports: LittleEndian.uint64(data[1..<9]))
            default:
                return .unknown(program: program, tag: data.first)
            }
        case SolanaPrograms.token, SolanaPrograms.token2022:
            guard data.first == TransferChecked.tag else { return .unknown(program: program, tag: data.first) }
            // The token programs read the first 10 bytes; Kura asks for exactly 10, as every wallet writes.
            guard data.count == 10 else {
                throw SolanaError(.malformedInstruction, "TransferChecked data is 10 bytes, got \(data.count)")
            }
            let accounts = try message.accounts(of: instruction)
            guard accounts.count >= 4 else {
                throw SolanaError(.malformedInstruction, "TransferChecked needs 4 accounts, got \(accounts.count)")
            }
            return .transferChecked(
                TransferChecked(
                    program: program, source: accounts[0], mint: accounts[1], destination: accounts[2],
                    authority: accounts[3], multisigSigners: Array(accounts.dropFirst(4)),
                    amount: LittleEndian.uint64(data[1..<9]), decimals: data[9]))
        case SolanaPrograms.memo:
            // The Memo program fails on text that is not UTF-8, so such a memo cannot land.
            guard let text = String(validating: data, as: UTF8.self) else {
                throw SolanaError(.malformedInstruction, "the memo is not UTF-8")
            }
            return .memo(text: text, signers: try message.accounts(of: instruction))
        default:
            return .unknown(program: program, tag: data.first)
        }
    }
}
