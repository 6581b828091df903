/// The three counts at the start of a message that say which account keys sign and which are read-only.
/// Keys are ordered: writable signers (the fee payer first), read-only signers, writable non-signers,
/// read-only non-signers.
public struct MessageHeader: Sendable, Equatable, Hashable {
    /// How many signatures the message needs: the first keys.
    public var numRequiredSignatures: UInt8
    /// How many of the signing keys are read-only (the last of them).
    public var numReadonlySignedAccounts: UInt8
    /// How many of the non-signing keys are read-only (the last of them).
    public var numReadonlyUnsignedAccounts: UInt8

    public init(numRequiredSignatures: UInt8, numReadonlySignedAccounts: UInt8, numReadonlyUnsignedAccounts: UInt8) {
        self.numRequiredSignatures = numRequiredSignatures
        self.numReadonlySignedAccounts = numReadonlySignedAccounts
        self.numReadonlyUnsignedAccounts = numReadonlyUnsignedAccounts
    }
}

/// An instruction as a message carries it: indexes into the message's accounts, and opaque data.
public struct CompiledInstruction: Sendable, Equatable, Hashable {
    /// The index of the program's key (always a static key).
    public var programIDIndex: UInt8
    /// The indexes of the accounts the instruction is given, in order.
    public var accounts: [UInt8]
    /// The instruction data, read by the program.
    public var data: [UInt8]

    public init(programIDIndex: UInt8, accounts: [UInt8], data: [UInt8]) {
        self.programIDIndex = programIDIndex
        self.accounts = accounts
        self.data = data
    }
}

/// A v0 message's use of an address lookup table: which of its entries are loaded, writable first.
public struct AddressTableLookup: Sendable, Equatable, Hashable {
    /// The lookup table account.
    public var accountKey: SolanaPublicKey
    /// Entries loaded as writable accounts.
    public var writableIndexes: [UInt8]
    /// Entries loaded as read-only accounts.
    public var readonlyIndexes: [UInt8]

    public init(accountKey: SolanaPublicKey, writableIndexes: [UInt8], readonlyIndexes: [UInt8]) {
        self.accountKey = accountKey
        self.writableIndexes = writableIndexes
        self.readonlyIndexes = readonlyIndexes
    }
}

/// An account of a message, as an instruction names it: a static key, or an entry of a lookup table whose
/// key is known only on chain.
public enum MessageAccount: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A key written in the message.
    case key(SolanaPublicKey)
    /// Entry `index` of lookup table `table`.
    case lookup(table: SolanaPublicKey, index: UInt8)

    /// The key, when it is written in the message.
    public var staticKey: SolanaPublicKey? {
        if case .key(let key) = self { return key }
        return nil
    }

    public var description: String {
        switch self {
        case .key(let key): key.base58
        case .lookup(let table, let index): "\(table.base58)[\(index)]"
        }
    }
}
