import KuraCrypto
import KuraSolana
import Testing

/// The instruction decoders: known instructions read strictly, malformed data refused, the rest unknown.
@Suite("Solana instructions")
struct InstructionTests {
    static let payer = SolanaPublicKey(try! Ed25519.SecretKey(seed: [UInt8](repeating: 1, count: 32)).publicKey)
    static let owner = SolanaPublicKey(try! Ed25519.SecretKey(seed: [UInt8](repeating: 2, count: 32)).publicKey)
    static let mint = SolanaPublicKey(try! Ed25519.SecretKey(seed: [UInt8](repeating: 3, count: 32)).publicKey)
    static let blockhash = try! SolanaHash(bytes: [UInt8](repeating: 7, count: 32))

    static func message(_ instructions: [Instruction]) throws -> SolanaMessage {
        try SolanaMessage.compile(payer: payer, instructions: instructions, recentBlockhash: blockhash)
    }

    static func decoded(_ instructions: [Instruction]) throws -> [DecodedInstruction] {
        let message = try message(instructions)
        return try message.instructions.map { try DecodedInstruction.decode($0, in: message) }
    }

    @Test("compute budget, TransferChecked of both token programs, memo")
    func known() throws {
        for program in SolanaPrograms.tokenPrograms {
            let source = AssociatedTokenAccount.address(owner: Self.owner, mint: Self.mint, tokenProgram: program)
            let destination = AssociatedTokenAccount.address(owner: Self.payer, mint: Self.mint, tokenProgram: program)
            let decoded = try Self.decoded([
                .setComputeUnitLimit(20_000), .setComputeUnitPrice(microLamports: 5_000_000),
                .transferChecked(
                    program: program, source: source, mint: Self.mint, destination: destination, authority: Self.owner,
                    amount: 1_000_000_007, decimals: 6),
                .memo("pay_7d5d747be160e280504c099d984bcfe0 ✓"),
            ])
            #expect(decoded[0] == .setComputeUnitLimit(units: 20_000))
            #expect(decoded[1] == .setComputeUnitPrice(microLamports: 5_000_000))
            #expect(
                decoded[2]
                    == .transferChecked(
                        TransferChecked(
                            program: program, source: .key(source), mint: .key(Self.mint),
                            destination: .key(destination), authority: .key(Self.owner), multisigSigners: [],
                            amount: 1_000_000_007, decimals: 6)))
            #expect(decoded[3] == .memo(text: "pay_7d5d747be160e280504c099d984bcfe0 ✓", signers: []))
        }
    }

    @Test("malformed data of a known instruction is refused")
    func malformed() throws {
        let bad: [Instruction] = [
            Instruction(program: SolanaPrograms.computeBudget, accounts: [], data: [2, 0, 0, 0]),
            Instruction(program: SolanaPrograms.computeBudget, accounts: [], data: [3, 1, 0, 0, 0, 0, 0, 0, 0, 9]),
            Instruction(program: SolanaPrograms.token, accounts: [], data: [12] + [UInt8](repeating: 0, count: 9)),
            Instruction(
                program: SolanaPrograms.token, accounts: [AccountMeta(Self.owner, signer: true, writable: false)],
                data: [12, 1, 0, 0, 0, 0, 0, 0, 0]),
            Instruction(program: SolanaPrograms.memo, accounts: [], data: [0xFF, 0xFE]),
        ]
        for instruction in bad {
            let message = try Self.message([instruction])
            let error = #expect(throws: SolanaError.self) {
                try DecodedInstruction.decode(message.instructions[0], in: message)
            }
            #expect(error?.kind == .malformedInstruction)
        }
    }

    @Test("anything else is a typed unknown instruction")
    func unknown() throws {
        let decoded = try Self.decoded([
            Instruction(program: SolanaPrograms.computeBudget, accounts: [], data: [1, 0, 0, 0, 0]),
            Instruction(program: SolanaPrograms.token, accounts: [], data: [3, 1, 0, 0, 0, 0, 0, 0, 0]),
            Instruction(program: SolanaPrograms.lighthouse, accounts: [], data: []),
        ])
        #expect(decoded[0] == .unknown(program: SolanaPrograms.computeBudget, tag: 1))
        #expect(decoded[1] == .unknown(program: SolanaPrograms.token, tag: 3))
        #expect(decoded[2] == .unknown(program: SolanaPrograms.lighthouse, tag: nil))
    }

    @Test("signing: the fee payer's slot is filled, a stranger is refused")
    func signing() throws {
        let feePayer = try Ed25519.SecretKey(seed: [UInt8](repeating: 1, count: 32))
        let stranger = try Ed25519.SecretKey(seed: [UInt8](repeating: 9, count: 32))
        let message = try Self.message([.memo("hi", signers: [Self.owner])])
        var tx = SolanaTransaction(message: message)
        #expect(tx.checkSignatures() == [.missing, .missing])
        try tx.sign(with: feePayer)
        #expect(tx.checkSignatures() == [.valid, .missing])
        #expect(tx.firstUnsigned(except: [Self.payer])?.signer == Self.owner)
        let error = #expect(throws: SolanaError.self) { try tx.sign(with: stranger) }
        #expect(error?.kind == .notASigner)
        // A signature moved to another message does not verify there.
        let other = SolanaTransaction(message: try Self.message([.memo("ho", signers: [Self.owner])]))
        let forged = try SolanaTransaction(signatures: tx.signatures, message: other.message)
        #expect(forged.checkSignatures().first == .invalid)
        // As many signatures as the message requires, no more, no fewer.
        let wrongCount = #expect(throws: SolanaError.self) {
            try SolanaTransaction(signatures: [.empty], message: message)
        }
        #expect(wrongCount?.kind == .signatureCount)
        var bytes = tx.bytes
        bytes[0] = 3
        bytes.insert(contentsOf: [UInt8](repeating: 0, count: 64), at: 1)
        let parsed = #expect(throws: SolanaError.self) { try SolanaTransaction(bytes: bytes) }
        #expect(parsed?.kind == .signatureCount)
    }

    @Test("compact-u16 lengths: shortest form only")
    func compactLengths() throws {
        // A memo of 200 bytes has a two-byte data length (0xC8 0x01); its aliases are refused.
        let message = try Self.message([.memo(String(repeating: "a", count: 200))])
        let bytes = message.bytes
        #expect(try SolanaMessage(bytes: bytes) == message)
        let at = try #require(bytes.indices.dropLast().first { bytes[$0] == 0xC8 && bytes[$0 + 1] == 0x01 })
        var alias = bytes
        alias.replaceSubrange(at..<at + 2, with: [0xC8, 0x81, 0x00])
        let error = #expect(throws: SolanaError.self) { try SolanaMessage(bytes: alias) }
        #expect(error?.kind == .invalidCompactU16)
    }
}
