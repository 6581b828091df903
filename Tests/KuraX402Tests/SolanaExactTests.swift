import KuraCrypto
import KuraSolana
import KuraX402
import Testing

/// The offline checks of `exact` on Solana: a payment built as the official clients build it passes, and each
/// way of breaking it is refused with the specification's reason code.
@Suite("x402 exact on Solana: offline checks")
struct SolanaExactTests {
    static func secret(_ n: UInt8) -> Ed25519.SecretKey {
        try! Ed25519.SecretKey(seed: [UInt8](repeating: n, count: 32))
    }
    static let kura = secret(11)
    static let payer = secret(12)
    static let payee = SolanaPublicKey(secret(13).publicKey)
    static let mint = SolanaPublicKey(secret(14).publicKey)
    static let network = SolanaNetwork.devnet
    static let blockhash = try! SolanaHash(bytes: [UInt8](repeating: 5, count: 32))
    static let policy = SolanaExactPolicy(network: network, feePayers: [SolanaPublicKey(kura.publicKey)])

    static func requirements(memo: String? = nil, amount: UInt64 = 2500) -> PaymentRequirements {
        var extra: [String: JSONValue] = ["feePayer": .string(SolanaPublicKey(kura.publicKey).base58)]
        if let memo { extra["memo"] = .string(memo) }
        return PaymentRequirements(
            scheme: "exact", network: network.id, amount: X402Amount(units: amount)!, asset: mint.base58,
            payTo: payee.base58, maxTimeoutSeconds: 60, extra: extra)
    }

    static func payment(
        _ requirements: PaymentRequirements = requirements(), program: SolanaPublicKey = SolanaPrograms.token
    ) throws -> PaymentPayload {
        try SolanaExact.pay(
            requirements, resource: ResourceInfo(url: "https://provider.example/v1/forecast"), payer: payer,
            tokenProgram: program, decimals: 6, recentBlockhash: blockhash, nonce: [UInt8](repeating: 0xAB, count: 16))
    }

    /// The payment with its transaction rebuilt from `instructions` and signed by `signers`.
    static func rebuilt(
        _ instructions: [Instruction], feePayer: SolanaPublicKey = SolanaPublicKey(kura.publicKey),
        signers: [Ed25519.SecretKey] = [payer], requirements: PaymentRequirements = requirements()
    ) throws -> PaymentPayload {
        let message = try SolanaMessage.compile(payer: feePayer, instructions: instructions, recentBlockhash: blockhash)
        var tx = SolanaTransaction(message: message)
        for signer in signers where message.signers.contains(SolanaPublicKey(signer.publicKey)) {
            try tx.sign(with: signer)
        }
        var payment = try payment(requirements)
        payment.payload = ["transaction": .string(tx.base64)]
        return payment
    }

    static func instructions(amount: UInt64 = 2500, memo: String = "abababababababababababababababab") -> [Instruction]
    {
        let owner = SolanaPublicKey(payer.publicKey)
        return [
            .setComputeUnitLimit(20_000), .setComputeUnitPrice(microLamports: 1),
            .transferChecked(
                source: AssociatedTokenAccount.address(owner: owner, mint: mint), mint: mint,
                destination: AssociatedTokenAccount.address(owner: payee, mint: mint), authority: owner, amount: amount,
                decimals: 6),
            .memo(memo),
        ]
    }

    static func refusal(_ payment: PaymentPayload, _ requirements: PaymentRequirements = requirements()) -> X402Reason?
    {
        do {
            _ = try SolanaExact.verify(payment, against: requirements, policy: policy)
            return nil
        } catch { return error.reason }
    }

    @Test("a payment built as the SDKs build it passes, Token and Token-2022, with and without extra.memo")
    func valid() throws {
        for program in SolanaPrograms.tokenPrograms {
            for requirements in [Self.requirements(), Self.requirements(memo: "invoice-42")] {
                let payment = try Self.payment(requirements, program: program)
                let verified = try SolanaExact.verify(payment, against: requirements, policy: Self.policy)
                #expect(verified.payer == SolanaPublicKey(Self.payer.publicKey))
                #expect(verified.amount == 2500 && verified.mint == Self.mint && verified.tokenProgram == program)
                #expect(
                    verified.destination
                        == AssociatedTokenAccount.address(owner: Self.payee, mint: Self.mint, tokenProgram: program))
                #expect(
                    verified.memos == [requirements.extra?["memo"]?.stringValue ?? String(repeating: "ab", count: 16)])
                #expect(verified.messageHash == verified.transaction.message.hash)
                #expect(verified.transaction.signatures[0].isEmpty)
                #expect(SolanaExact.payer(of: payment) == SolanaPublicKey(Self.payer.publicKey).base58)
            }
        }
    }

    @Test("requirements: scheme, network, fee payer")
    func requirementChecks() throws {
        let payment = try Self.payment()
        var other = Self.requirements()
        other.scheme = "escrow"
        #expect(Self.refusal(payment, other) == .unsupportedScheme)
        other = Self.requirements()
        other.network = SolanaNetwork.mainnet.id
        #expect(Self.refusal(payment, other) == .invalidNetwork)
        var mismatched = payment
        mismatched.accepted.network = SolanaNetwork.testnet.id
        #expect(Self.refusal(mismatched) == .svmNetworkMismatch)
        other = Self.requirements()
        other.extra = [:]
        #expect(Self.refusal(payment, other) == .svmMissingFeePayer)
        other.extra = ["feePayer": 7]
        #expect(Self.refusal(payment, other) == .svmMissingFeePayer)
        other.extra = ["feePayer": .string(SolanaPublicKey(Self.secret(99).publicKey).base58)]
        #expect(Self.refusal(payment, other) == .svmFeePayerNotManaged)
    }

    @Test("the transaction: decodes, is paid by Kura's fee payer")
    func transactionChecks() throws {
        var payment = try Self.payment()
        payment.payload = ["transaction": "not base64!"]
        #expect(Self.refusal(payment) == .svmUndecodable)
        payment.payload = [:]
        #expect(Self.refusal(payment) == .svmUndecodable)
        payment.payload = ["transaction": .string(Base64.encode([1, 2, 3]))]
        #expect(Self.refusal(payment) == .svmUndecodable)
        let stranger = Self.secret(98)
        let foreign = try Self.rebuilt(
            Self.instructions(), feePayer: SolanaPublicKey(stranger.publicKey), signers: [Self.payer])
        #expect(Self.refusal(foreign) == .svmFeePayerNotManaged)
    }

    @Test("instruction layout: count, order, compute budget, the transfer, optional programs")
    func layout() throws {
        let base = Self.instructions()
        #expect(Self.refusal(try Self.rebuilt(Array(base.prefix(2)))) == .svmInstructionsLength)
        #expect(Self.refusal(try Self.rebuilt(base + [.memo("a"), .memo("b"), .memo("c")])) == .svmInstructionsLength)
        #expect(Self.refusal(try Self.rebuilt([base[1], base[0], base[2], base[3]])) == .svmComputeLimit)
        #expect(Self.refusal(try Self.rebuilt([base[0], base[2], base[1], base[3]])) == .svmComputePrice)
        #expect(Self.refusal(try Self.rebuilt([base[0], base[1], base[3], base[2]])) == .svmNoTransfer)
        let tooDear = [base[0], .setComputeUnitPrice(microLamports: 5_000_001), base[2], base[3]]
        #expect(Self.refusal(try Self.rebuilt(tooDear)) == .svmComputePriceTooHigh)
        let atCap = [base[0], .setComputeUnitPrice(microLamports: 5_000_000), base[2], base[3]]
        #expect(Self.refusal(try Self.rebuilt(atCap)) == nil)
        // A plain Transfer (tag 3) of the token program is not a TransferChecked.
        var plain = base[2]
        plain.data = [3] + Array(plain.data[1..<9])
        #expect(Self.refusal(try Self.rebuilt([base[0], base[1], plain, base[3]])) == .svmNoTransfer)
        let system = Instruction(program: SolanaPrograms.system, accounts: [], data: [2, 0, 0, 0])
        #expect(Self.refusal(try Self.rebuilt(base + [system])) == .svmUnknownFifth)
        #expect(Self.refusal(try Self.rebuilt(Array(base.prefix(3)) + [system])) == .svmUnknownFourth)
        #expect(Self.refusal(try Self.rebuilt(base + [.memo("x"), system])) == .svmUnknownSixth)
        let lighthouse = Instruction(program: SolanaPrograms.lighthouse, accounts: [], data: [9])
        #expect(Self.refusal(try Self.rebuilt(Array(base.prefix(3)) + [lighthouse, lighthouse, base[3]])) == nil)
        #expect(Self.refusal(try Self.rebuilt(Array(base.prefix(3)))) == nil)
    }

    @Test("extra.memo: exactly one memo, equal to it")
    func memo() throws {
        let required = Self.requirements(memo: "invoice-42")
        #expect(
            Self.refusal(try Self.rebuilt(Self.instructions(memo: "invoice-42"), requirements: required), required)
                == nil)
        #expect(
            Self.refusal(try Self.rebuilt(Self.instructions(memo: "invoice-43"), requirements: required), required)
                == .svmMemoMismatch)
        #expect(
            Self.refusal(try Self.rebuilt(Array(Self.instructions().prefix(3)), requirements: required), required)
                == .svmMemoCount)
        let twice = Self.instructions(memo: "invoice-42") + [.memo("invoice-42")]
        #expect(Self.refusal(try Self.rebuilt(twice, requirements: required), required) == .svmMemoCount)
    }

    @Test("the transfer: fee payer kept out, mint, destination, amount")
    func transfer() throws {
        let kura = SolanaPublicKey(Self.kura.publicKey)
        var base = Self.instructions()
        // Kura's own token account as the source, Kura as the authority.
        base[2] = .transferChecked(
            source: AssociatedTokenAccount.address(owner: kura, mint: Self.mint), mint: Self.mint,
            destination: AssociatedTokenAccount.address(owner: Self.payee, mint: Self.mint), authority: kura,
            amount: 2500, decimals: 6)
        #expect(Self.refusal(try Self.rebuilt(base, signers: [Self.kura])) == .svmFeePayerTransferring)
        // The fee payer named in a memo's accounts.
        let named = Self.instructions() + [.memo("hi", signers: [kura])]
        #expect(Self.refusal(try Self.rebuilt(named, signers: [Self.payer, Self.kura])) == .svmFeePayerTransferring)
        let otherMint = SolanaPublicKey(Self.secret(77).publicKey)
        var wrongMint = Self.instructions()
        let owner = SolanaPublicKey(Self.payer.publicKey)
        wrongMint[2] = .transferChecked(
            source: AssociatedTokenAccount.address(owner: owner, mint: otherMint), mint: otherMint,
            destination: AssociatedTokenAccount.address(owner: Self.payee, mint: otherMint), authority: owner,
            amount: 2500, decimals: 6)
        #expect(Self.refusal(try Self.rebuilt(wrongMint)) == .svmMintMismatch)
        var wrongDestination = Self.instructions()
        wrongDestination[2] = .transferChecked(
            source: AssociatedTokenAccount.address(owner: owner, mint: Self.mint), mint: Self.mint,
            destination: AssociatedTokenAccount.address(owner: owner, mint: Self.mint), authority: owner,
            amount: 2500, decimals: 6)
        #expect(Self.refusal(try Self.rebuilt(wrongDestination)) == .svmRecipientMismatch)
        // The right owner under the other token program is another account.
        var otherProgram = Self.instructions()
        otherProgram[2].program = SolanaPrograms.token2022
        #expect(Self.refusal(try Self.rebuilt(otherProgram)) == .svmRecipientMismatch)
        #expect(Self.refusal(try Self.rebuilt(Self.instructions(amount: 2499))) == .svmAmountInsufficient)
        #expect(Self.refusal(try Self.rebuilt(Self.instructions(amount: 2501))) == nil)
    }

    @Test("signatures: the payer's is required and must be over this message")
    func signatures() throws {
        #expect(Self.refusal(try Self.rebuilt(Self.instructions(), signers: [])) == .svmSignature)
        // A changed amount the structure checks allow (more than required) breaks the signature.
        let payment = try Self.payment()
        let tx = try SolanaTransaction(base64: try #require(payment.payload["transaction"]?.stringValue))
        let more = try Self.rebuilt(Self.instructions(amount: 9999), signers: [])
        var moreTx = try SolanaTransaction(base64: try #require(more.payload["transaction"]?.stringValue))
        moreTx = try SolanaTransaction(signatures: tx.signatures, message: moreTx.message)
        var tampered = payment
        tampered.payload = ["transaction": .string(moreTx.base64)]
        #expect(Self.refusal(tampered) == .svmSignature)
        // Kura's own slot may hold anything: it is signed over at settlement.
        #expect(Self.refusal(try Self.rebuilt(Self.instructions(), signers: [Self.payer, Self.kura])) == nil)
    }

    @Test("accounts from a lookup table are refused where the checks need keys")
    func lookupTable() throws {
        let payment = try Self.payment()
        let tx = try SolanaTransaction(base64: try #require(payment.payload["transaction"]?.stringValue))
        let message = tx.message
        // Move the destination (a writable non-signer) into a lookup table.
        let destination = AssociatedTokenAccount.address(owner: Self.payee, mint: Self.mint)
        let index = try #require(message.accountKeys.firstIndex(of: destination))
        var keys = message.accountKeys
        keys.remove(at: index)
        let loaded = UInt8(keys.count)
        let instructions = message.instructions.map { instruction in
            var copy = instruction
            copy.accounts = instruction.accounts.map { $0 == UInt8(index) ? loaded : ($0 > UInt8(index) ? $0 - 1 : $0) }
            if copy.programIDIndex > UInt8(index) { copy.programIDIndex -= 1 }
            return copy
        }
        let withTable = try SolanaMessage(
            version: .v0, header: message.header, accountKeys: keys, recentBlockhash: message.recentBlockhash,
            instructions: instructions,
            addressTableLookups: [AddressTableLookup(accountKey: Self.mint, writableIndexes: [3], readonlyIndexes: [])])
        let signed = try SolanaTransaction(message: withTable).signed(with: Self.payer)
        var tampered = payment
        tampered.payload = ["transaction": .string(signed.base64)]
        #expect(Self.refusal(tampered) == .svmAccountsFromLookupTable)
    }
}
