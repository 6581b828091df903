import KuraCrypto

/// A Solana transaction message, legacy or version 0: what every signer signs.
///
/// It is built only through checks equivalent to `solana-message`'s `sanitize` (and a little stricter: no key
/// appears twice, as the runtime would refuse it), so an instance always describes a message the cluster
/// would accept for processing; ``init(bytes:)`` reads the wire form strictly, and ``bytes`` writes it back
/// byte for byte.
public struct SolanaMessage: Sendable, Equatable, Hashable {
    /// The message format.
    public enum Version: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// The original format: no version prefix, no lookup tables.
        case legacy
        /// Version 0: prefix byte 0x80, and address lookup tables.
        case v0

        public var description: String { self == .legacy ? "legacy" : "v0" }
    }

    /// Legacy or v0.
    public let version: Version
    /// Who signs, who is read-only.
    public let header: MessageHeader
    /// The accounts written in the message; the first is the fee payer.
    public let accountKeys: [SolanaPublicKey]
    /// The blockhash the message is valid against (about 150 blocks, one to two minutes).
    public let recentBlockhash: SolanaHash
    /// The instructions, run in order.
    public let instructions: [CompiledInstruction]
    /// v0 only: accounts loaded from address lookup tables.
    public let addressTableLookups: [AddressTableLookup]

    /// A checked message.
    public init(
        version: Version, header: MessageHeader, accountKeys: [SolanaPublicKey], recentBlockhash: SolanaHash,
        instructions: [CompiledInstruction], addressTableLookups: [AddressTableLookup] = []
    ) throws(SolanaError) {
        self.version = version
        self.header = header
        self.accountKeys = accountKeys
        self.recentBlockhash = recentBlockhash
        self.instructions = instructions
        self.addressTableLookups = addressTableLookups
        try sanitize()
    }

    /// The fee payer: the first key.
    public var feePayer: SolanaPublicKey { accountKeys[0] }

    /// The keys that must sign, in signature order.
    public var signers: ArraySlice<SolanaPublicKey> { accountKeys.prefix(Int(header.numRequiredSignatures)) }

    /// How many accounts are loaded from lookup tables.
    public var lookupAccountCount: Int {
        addressTableLookups.reduce(0) { $0 + $1.writableIndexes.count + $1.readonlyIndexes.count }
    }

    /// Whether the account at `index` (static keys, then writable lookups, then read-only lookups) signs.
    public func isSigner(_ index: Int) -> Bool { index < Int(header.numRequiredSignatures) }

    /// Whether the account at `index` may be written.
    public func isWritable(_ index: Int) -> Bool {
        let required = Int(header.numRequiredSignatures)
        let statics = accountKeys.count
        if index < required { return index < required - Int(header.numReadonlySignedAccounts) }
        if index < statics { return index < statics - Int(header.numReadonlyUnsignedAccounts) }
        let writableLookups = addressTableLookups.reduce(0) { $0 + $1.writableIndexes.count }
        return index - statics < writableLookups
    }

    /// The account at `index`: a static key, or the lookup table entry it loads.
    public func account(_ index: Int) throws(SolanaError) -> MessageAccount {
        if index >= 0 && index < accountKeys.count { return .key(accountKeys[index]) }
        var rest = index - accountKeys.count
        // Loaded accounts are all writable entries of every table in order, then all read-only ones.
        for lookup in addressTableLookups {
            if rest >= 0 && rest < lookup.writableIndexes.count {
                return .lookup(table: lookup.accountKey, index: lookup.writableIndexes[rest])
            }
            rest -= lookup.writableIndexes.count
        }
        for lookup in addressTableLookups {
            if rest >= 0 && rest < lookup.readonlyIndexes.count {
                return .lookup(table: lookup.accountKey, index: lookup.readonlyIndexes[rest])
            }
            rest -= lookup.readonlyIndexes.count
        }
        throw SolanaError(.invalidIndex, "account index \(index) names no account")
    }

    /// The static key at `index`; `lookupTableAccount` when the account is loaded from a table.
    public func staticKey(_ index: Int, _ what: String) throws(SolanaError) -> SolanaPublicKey {
        switch try account(index) {
        case .key(let key): return key
        case .lookup(let table, let entry):
            throw SolanaError(
                .lookupTableAccount, "\(what) is entry \(entry) of lookup table \(table), not a key in the message")
        }
    }

    /// The program an instruction calls (always a static key: sanitising refused any other).
    public func program(of instruction: CompiledInstruction) -> SolanaPublicKey {
        accountKeys[Int(instruction.programIDIndex)]
    }

    /// The accounts an instruction is given, resolved.
    public func accounts(of instruction: CompiledInstruction) throws(SolanaError) -> [MessageAccount] {
        var out: [MessageAccount] = []
        out.reserveCapacity(instruction.accounts.count)
        for index in instruction.accounts { out.append(try account(Int(index))) }
        return out
    }

    private func sanitize() throws(SolanaError) {
        let statics = accountKeys.count
        guard statics > 0 else { throw SolanaError(.invalidHeader, "the message has no account keys") }
        guard Int(header.numRequiredSignatures) + Int(header.numReadonlyUnsignedAccounts) <= statics else {
            throw SolanaError(
                .invalidHeader,
                "the header counts \(header.numRequiredSignatures) signers and \(header.numReadonlyUnsignedAccounts) "
                    + "read-only non-signers among \(statics) keys")
        }
        guard header.numReadonlySignedAccounts < header.numRequiredSignatures else {
            throw SolanaError(.invalidHeader, "the message has no writable signer to pay its fee")
        }
        if version == .legacy && !addressTableLookups.isEmpty {
            throw SolanaError(.invalidHeader, "a legacy message has no address lookup tables")
        }
        let total = statics + lookupAccountCount
        guard total <= 256 else { throw SolanaError(.invalidIndex, "the message names \(total) accounts, over 256") }
        guard Set(accountKeys).count == statics else {
            throw SolanaError(.invalidIndex, "an account key appears twice")
        }
        for (i, instruction) in instructions.enumerated() {
            let program = Int(instruction.programIDIndex)
            // Programs are static keys (v0 refuses programs from lookup tables), and never the fee payer.
            guard program < statics, program != 0 else {
                throw SolanaError(.invalidIndex, "instruction \(i) calls account \(program), which cannot be a program")
            }
            if let bad = instruction.accounts.first(where: { Int($0) >= total }) {
                throw SolanaError(.invalidIndex, "instruction \(i) names account \(bad) of \(total)")
            }
        }
    }
}
