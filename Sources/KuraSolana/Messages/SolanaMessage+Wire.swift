import KuraCrypto

extension SolanaMessage {
    /// The prefix bit of a versioned message; a legacy message starts with its signature count, below 128.
    static let versionPrefix: UInt8 = 0x80

    /// Reads a whole message (nothing may follow it).
    public init(bytes: [UInt8]) throws(SolanaError) {
        var reader = ByteReader(bytes)
        try self.init(reading: &reader)
        guard reader.isAtEnd else {
            throw SolanaError(.trailingBytes, "\(reader.remaining) bytes follow the message")
        }
    }

    init(reading reader: inout ByteReader) throws(SolanaError) {
        let version: Version
        let first = try reader.byte("the message")
        var numRequiredSignatures = first
        if first & Self.versionPrefix != 0 {
            guard first & 0x7F == 0 else {
                throw SolanaError(.unsupportedVersion, "message version \(first & 0x7F) is not supported, only 0")
            }
            version = .v0
            numRequiredSignatures = try reader.byte("the message header")
        } else {
            version = .legacy
        }
        let header = MessageHeader(
            numRequiredSignatures: numRequiredSignatures,
            numReadonlySignedAccounts: try reader.byte("the message header"),
            numReadonlyUnsignedAccounts: try reader.byte("the message header"))
        let keyCount = try reader.compactU16("the account keys")
        guard keyCount * 32 <= reader.remaining else {
            throw SolanaError(.truncated, "\(keyCount) account keys need \(keyCount * 32) bytes")
        }
        var keys: [SolanaPublicKey] = []
        keys.reserveCapacity(keyCount)
        for _ in 0..<keyCount { keys.append(try SolanaPublicKey(bytes: reader.take(32, "an account key"))) }
        let blockhash = try SolanaHash(bytes: reader.take(32, "the recent blockhash"))
        let instructionCount = try reader.compactU16("the instructions")
        // Each instruction takes at least 3 bytes, so a huge count in a short input is refused at once.
        guard instructionCount * 3 <= reader.remaining else {
            throw SolanaError(.truncated, "\(instructionCount) instructions cannot fit in \(reader.remaining) bytes")
        }
        var instructions: [CompiledInstruction] = []
        instructions.reserveCapacity(instructionCount)
        for _ in 0..<instructionCount {
            let program = try reader.byte("an instruction's program index")
            let accounts = try reader.shortBytes("an instruction's accounts")
            let data = try reader.shortBytes("an instruction's data")
            instructions.append(CompiledInstruction(programIDIndex: program, accounts: accounts, data: data))
        }
        var lookups: [AddressTableLookup] = []
        if version == .v0 {
            let lookupCount = try reader.compactU16("the address table lookups")
            guard lookupCount * 34 <= reader.remaining else {
                throw SolanaError(.truncated, "\(lookupCount) address table lookups cannot fit")
            }
            for _ in 0..<lookupCount {
                let table = try SolanaPublicKey(bytes: reader.take(32, "a lookup table's address"))
                let writable = try reader.shortBytes("a lookup's writable indexes")
                let readonly = try reader.shortBytes("a lookup's read-only indexes")
                lookups.append(
                    AddressTableLookup(accountKey: table, writableIndexes: writable, readonlyIndexes: readonly))
            }
        }
        try self.init(
            version: version, header: header, accountKeys: keys, recentBlockhash: blockhash,
            instructions: instructions, addressTableLookups: lookups)
    }

    /// The wire form: exactly the bytes every signer signs.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: 64 + 32 * accountKeys.count + 32 * instructions.count)
        if version == .v0 { writer.append(Self.versionPrefix) }
        writer.append(header.numRequiredSignatures)
        writer.append(header.numReadonlySignedAccounts)
        writer.append(header.numReadonlyUnsignedAccounts)
        writer.compactU16(accountKeys.count)
        for key in accountKeys { writer.append(contentsOf: key.bytes) }
        writer.append(contentsOf: recentBlockhash.bytes)
        writer.compactU16(instructions.count)
        for instruction in instructions {
            writer.append(instruction.programIDIndex)
            writer.shortBytes(instruction.accounts)
            writer.shortBytes(instruction.data)
        }
        if version == .v0 {
            writer.compactU16(addressTableLookups.count)
            for lookup in addressTableLookups {
                writer.append(contentsOf: lookup.accountKey.bytes)
                writer.shortBytes(lookup.writableIndexes)
                writer.shortBytes(lookup.readonlyIndexes)
            }
        }
        return writer.bytes
    }

    /// Solana's message hash: BLAKE3 of "solana-tx-message-v1" and the message bytes
    /// (`solana-message`'s `hash_raw_message`). The cluster's status cache knows a transaction by it, and Kura
    /// settles each message hash once.
    public var hash: SolanaHash { Self.hash(messageBytes: bytes) }

    /// The message hash of already serialised message bytes.
    public static func hash(messageBytes: [UInt8]) -> SolanaHash {
        var hasher = BLAKE3Hasher()
        hasher.update(Array("solana-tx-message-v1".utf8))
        hasher.update(messageBytes)
        return SolanaHash(unchecked: hasher.finalize())
    }
}
