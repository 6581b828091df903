extension SolanaMessage {
    /// Compiles instructions into a message paid by `payer`, as `solana-message` does (`Message::new`,
    /// `v0::Message::try_compile` without lookup tables): every account once, with the union of what the
    /// instructions ask of it; the payer first; then writable signers, read-only signers, writable
    /// non-signers, read-only non-signers, each group in byte order of the keys.
    public static func compile(
        payer: SolanaPublicKey, instructions: [Instruction], recentBlockhash: SolanaHash, version: Version = .v0
    ) throws(SolanaError) -> SolanaMessage {
        var metas: [SolanaPublicKey: (signer: Bool, writable: Bool)] = [:]
        for instruction in instructions {
            if metas[instruction.program] == nil { metas[instruction.program] = (false, false) }
            for account in instruction.accounts {
                let old = metas[account.key] ?? (false, false)
                metas[account.key] = (old.signer || account.isSigner, old.writable || account.isWritable)
            }
        }
        metas[payer] = nil
        let sorted = metas.keys.sorted()
        let writableSigners = [payer] + sorted.filter { metas[$0]!.signer && metas[$0]!.writable }
        let readonlySigners = sorted.filter { metas[$0]!.signer && !metas[$0]!.writable }
        let writableOthers = sorted.filter { !metas[$0]!.signer && metas[$0]!.writable }
        let readonlyOthers = sorted.filter { !metas[$0]!.signer && !metas[$0]!.writable }
        let keys = writableSigners + readonlySigners + writableOthers + readonlyOthers
        guard keys.count <= 256 else { throw SolanaError(.invalidIndex, "\(keys.count) accounts, over 256") }
        let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, UInt8($0)) })
        let compiled = instructions.map { instruction in
            CompiledInstruction(
                programIDIndex: index[instruction.program]!, accounts: instruction.accounts.map { index[$0.key]! },
                data: instruction.data)
        }
        let header = MessageHeader(
            numRequiredSignatures: UInt8(writableSigners.count + readonlySigners.count),
            numReadonlySignedAccounts: UInt8(readonlySigners.count),
            numReadonlyUnsignedAccounts: UInt8(readonlyOthers.count))
        return try SolanaMessage(
            version: version, header: header, accountKeys: keys, recentBlockhash: recentBlockhash,
            instructions: compiled)
    }
}
