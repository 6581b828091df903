import KuraCrypto
import KuraSolana
import Testing

/// Kura's Solana code against the values solders computed (Fixtures/solana/vectors.json).
@Suite("Solana formats against solders")
struct SolanaFixtureTests {
    static let vectors = SolanaVectors.shared

    @Test("the fixture file is complete")
    func complete() {
        let v = Self.vectors
        #expect(v.generator.contains("solders"))
        #expect(v.keys.count >= 6 && v.curve.count >= 50 && v.findProgramAddress.count >= 20)
        #expect(v.associatedTokenAccounts.count >= 30 && v.transactions.count >= 10)
        // Both outcomes of the curve test and of create_program_address are covered.
        #expect(Set(v.curve.map(\.onCurve)) == [true, false])
        #expect(Set(v.createProgramAddress.map { $0.address == nil }) == [true, false])
        #expect(Set(v.transactions.map(\.version)) == ["legacy", "v0"])
    }

    @Test("keys from seeds, base58 addresses and Ed25519 signatures", arguments: SolanaVectors.shared.keys.indices)
    func keys(index: Int) throws {
        let vector = Self.vectors.keys[index]
        let secret = try Ed25519.SecretKey(seed: hex(vector.seed))
        let address = SolanaPublicKey(secret.publicKey)
        #expect(address.base58 == vector.address)
        #expect(try SolanaPublicKey(base58: vector.address) == address)
        let signature = secret.signature(for: hex(vector.message))
        #expect(SolanaSignature(unsafeForTests: signature).base58 == vector.signature)
        let parsed = try SolanaSignature(base58: vector.signature)
        #expect(address.ed25519.isValidSignature(parsed.bytes, for: hex(vector.message)))
    }

    @Test("the curve test is curve25519-dalek's decompression", arguments: SolanaVectors.shared.curve)
    func curve(vector: SolanaVectors.Curve) {
        #expect(Ed25519.isOnCurve(hex(vector.bytes)) == vector.onCurve)
    }

    @Test("findProgramAddress: address and bump", arguments: SolanaVectors.shared.findProgramAddress.indices)
    func find(index: Int) throws {
        let vector = Self.vectors.findProgramAddress[index]
        let found = try ProgramDerivedAddress.find(seeds: vector.seeds.map(hex), program: key(vector.program))
        #expect(found.address.base58 == vector.address)
        #expect(found.bump == vector.bump)
        #expect(!found.address.isOnCurve)
    }

    @Test("createProgramAddress: the address, or refused on the curve")
    func create() throws {
        for vector in Self.vectors.createProgramAddress {
            let made = try? ProgramDerivedAddress.create(seeds: vector.seeds.map(hex), program: key(vector.program))
            #expect(made?.base58 == vector.address, "seeds \(vector.seeds)")
        }
        let long = Self.vectors.seedTooLong
        let error = #expect(throws: SolanaError.self) {
            try ProgramDerivedAddress.find(seeds: long.seeds.map(hex), program: key(long.program))
        }
        #expect(error?.kind == .invalidSeeds)
        let many = [[UInt8]](repeating: [1], count: 16)
        #expect(throws: SolanaError.self) {
            try ProgramDerivedAddress.find(seeds: many, program: SolanaPrograms.system)
        }
    }

    @Test("associated token accounts, Token and Token-2022")
    func associatedTokenAccounts() {
        for vector in Self.vectors.associatedTokenAccounts {
            let address = AssociatedTokenAccount.address(
                owner: key(vector.owner), mint: key(vector.mint), tokenProgram: key(vector.tokenProgram))
            #expect(address.base58 == vector.address, "\(vector.owner) \(vector.mint)")
        }
    }

    @Test("program constants are the published addresses")
    func programs() {
        let named: [(SolanaPublicKey, String)] = [
            (SolanaPrograms.token, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
            (SolanaPrograms.token2022, "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"),
            (SolanaPrograms.associatedToken, "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
            (SolanaPrograms.computeBudget, "ComputeBudget111111111111111111111111111111"),
            (SolanaPrograms.memo, "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
            (SolanaPrograms.lighthouse, "L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95"),
            (SolanaPrograms.system, "11111111111111111111111111111111"),
        ]
        for (program, text) in named { #expect(program.base58 == text) }
    }

    @Test(
        "transactions: parse, fields, message bytes and hash, signatures, byte-for-byte round trip",
        arguments: SolanaVectors.shared.transactions)
    func transaction(vector: SolanaVectors.Transaction) throws {
        let raw = try #require(Base64.decode(vector.transaction))
        let tx = try SolanaTransaction(bytes: raw)
        #expect(tx.bytes == raw)
        #expect(tx.base64 == vector.transaction)
        #expect(try SolanaTransaction(base64: vector.transaction) == tx)
        let message = tx.message
        #expect(message.version == (vector.version == "v0" ? .v0 : .legacy))
        #expect(tx.messageBytes == hex(vector.message))
        #expect(message.bytes == hex(vector.message))
        #expect(try SolanaMessage(bytes: hex(vector.message)) == message)
        #expect(message.hash.base58 == vector.messageHash)
        #expect(tx.messageHash.base58 == vector.messageHash)
        #expect(message.header.numRequiredSignatures == vector.numRequiredSignatures)
        #expect(message.header.numReadonlySignedAccounts == vector.numReadonlySigned)
        #expect(message.header.numReadonlyUnsignedAccounts == vector.numReadonlyUnsigned)
        #expect(message.accountKeys.map(\.base58) == vector.accountKeys)
        #expect(message.recentBlockhash.base58 == vector.recentBlockhash)
        #expect(tx.signatures.map(\.base58) == vector.signatures)
        #expect(tx.checkSignatures().map { $0 == .valid } == vector.signatureValid)
        // Signing every empty slot with the signer's key gives a fully valid transaction.
        var signed = tx
        for (address, seedHex) in vector.signers {
            let secret = try Ed25519.SecretKey(seed: hex(seedHex))
            #expect(SolanaPublicKey(secret.publicKey).base58 == address)
            if message.signers.contains(key(address)) { try signed.sign(with: secret) }
        }
        #expect(signed.checkSignatures().allSatisfy { $0 == .valid })
        #expect(try SolanaTransaction(bytes: signed.bytes) == signed)
        // What solders already signed stays byte-identical (Ed25519 is deterministic).
        for (i, valid) in vector.signatureValid.enumerated() where valid {
            #expect(signed.signatures[i] == tx.signatures[i])
        }
    }

    @Test(
        "compiling the same instructions gives solders' message",
        arguments: SolanaVectors.shared.transactions.filter { $0.instructions != nil })
    func compile(vector: SolanaVectors.Transaction) throws {
        let instructions = try #require(vector.instructions).map { ix in
            Instruction(
                program: key(ix.program),
                accounts: ix.accounts.map { AccountMeta(key($0.key), signer: $0.signer, writable: $0.writable) },
                data: hex(ix.data))
        }
        let message = try SolanaMessage.compile(
            payer: key(try #require(vector.payer)), instructions: instructions,
            recentBlockhash: try SolanaHash(base58: vector.recentBlockhash),
            version: vector.version == "v0" ? .v0 : .legacy)
        #expect(message.bytes == hex(vector.message))
    }

    @Test("address lookup tables: parsed, resolved to table entries, refused where a static key is needed")
    func lookups() throws {
        let vector = try #require(Self.vectors.transactions.first { $0.lookups != nil })
        let lookup = try #require(vector.lookups?.first)
        let tx = try SolanaTransaction(base64: vector.transaction)
        let table = try #require(tx.message.addressTableLookups.first)
        #expect(table.accountKey.base58 == lookup.table)
        let transfer = try #require(
            tx.message.instructions.first { tx.message.program(of: $0) == SolanaPrograms.token })
        guard case .transferChecked(let decoded) = try DecodedInstruction.decode(transfer, in: tx.message) else {
            Issue.record("not a TransferChecked")
            return
        }
        // solders moved the destination and the mint into the table; each resolves to its entry.
        for account in [decoded.mint, decoded.destination] {
            guard case .lookup(let tableKey, let index) = account else {
                Issue.record("\(account) is not a lookup")
                continue
            }
            #expect(tableKey == table.accountKey)
            #expect(lookup.addresses.indices.contains(Int(index)))
        }
        #expect(decoded.destination.staticKey == nil)
        let destinationIndex = Int(transfer.accounts[2])
        let error = #expect(throws: SolanaError.self) { try tx.message.staticKey(destinationIndex, "the destination") }
        #expect(error?.kind == .lookupTableAccount)
    }
}

extension SolanaSignature {
    init(unsafeForTests bytes: [UInt8]) {
        do { try self.init(bytes: bytes) } catch { fatalError("\(error)") }
    }
}
