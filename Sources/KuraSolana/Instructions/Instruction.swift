/// An account an instruction is given, with what it may do with it.
public struct AccountMeta: Sendable, Equatable, Hashable {
    /// The account.
    public var key: SolanaPublicKey
    /// Whether the account must sign the transaction.
    public var isSigner: Bool
    /// Whether the instruction may change the account.
    public var isWritable: Bool

    public init(_ key: SolanaPublicKey, signer: Bool, writable: Bool) {
        self.key = key
        self.isSigner = signer
        self.isWritable = writable
    }
}

/// An instruction before it is compiled into a message: a program, its accounts, its data.
public struct Instruction: Sendable, Equatable, Hashable {
    /// The program to run.
    public var program: SolanaPublicKey
    /// Its accounts, in the order the program reads them.
    public var accounts: [AccountMeta]
    /// Its data.
    public var data: [UInt8]

    public init(program: SolanaPublicKey, accounts: [AccountMeta], data: [UInt8]) {
        self.program = program
        self.accounts = accounts
        self.data = data
    }
}

extension Instruction {
    /// Compute Budget `SetComputeUnitLimit(units)`: data `[2, u32 LE]`.
    public static func setComputeUnitLimit(_ units: UInt32) -> Instruction {
        Instruction(
            program: SolanaPrograms.computeBudget, accounts: [],
            data: [ComputeBudget.setComputeUnitLimitTag] + LittleEndian.bytes(UInt64(units), count: 4))
    }

    /// Compute Budget `SetComputeUnitPrice(microLamports)`: data `[3, u64 LE]`.
    public static func setComputeUnitPrice(microLamports: UInt64) -> Instruction {
        Instruction(
            program: SolanaPrograms.computeBudget, accounts: [],
            data: [ComputeBudget.setComputeUnitPriceTag] + LittleEndian.bytes(microLamports, count: 8))
    }

    /// SPL Token (or Token-2022) `TransferChecked`: data `[12, u64 LE amount, u8 decimals]`, accounts
    /// source (writable), mint, destination (writable), authority (signer).
    public static func transferChecked(
        program: SolanaPublicKey = SolanaPrograms.token, source: SolanaPublicKey, mint: SolanaPublicKey,
        destination: SolanaPublicKey, authority: SolanaPublicKey, amount: UInt64, decimals: UInt8
    ) -> Instruction {
        Instruction(
            program: program,
            accounts: [
                AccountMeta(source, signer: false, writable: true),
                AccountMeta(mint, signer: false, writable: false),
                AccountMeta(destination, signer: false, writable: true),
                AccountMeta(authority, signer: true, writable: false),
            ],
            data: [TransferChecked.tag] + LittleEndian.bytes(amount, count: 8) + [decimals])
    }

    /// SPL Memo: the UTF-8 text as data, optionally signed by `signers`.
    public static func memo(_ text: String, signers: [SolanaPublicKey] = []) -> Instruction {
        Instruction(
            program: SolanaPrograms.memo, accounts: signers.map { AccountMeta($0, signer: true, writable: false) },
            data: Array(text.utf8))
    }
}
