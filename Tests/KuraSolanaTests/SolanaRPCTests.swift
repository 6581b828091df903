import KuraCrypto
import KuraSolana
import KuraSolanaRPC
import KuraTesting
import Logging
import Testing

/// The JSON-RPC client against the stand-in cluster: every method, the typed errors, retries only of reads,
/// timeouts, and no secret in the logs.
@Suite("Solana JSON-RPC client and stand-in")
struct SolanaRPCTests {
    static func secret(_ n: UInt8) -> Ed25519.SecretKey {
        try! Ed25519.SecretKey(seed: [UInt8](repeating: n, count: 32))
    }
    static let feePayer = secret(1)
    static let payer = secret(2)
    static let payee = SolanaPublicKey(secret(3).publicKey)
    static let mint = SolanaPublicKey(secret(4).publicKey)

    /// A stand-in with a 6-decimal mint, the payer holding 1 000 000 units, the fee payer funded.
    static func cluster(finalityLag: UInt64 = 2) async throws -> SolanaStandIn {
        let ledger = SolanaStandInLedger(finalityLag: finalityLag)
        ledger.createMint(mint, decimals: 6)
        ledger.mint(1_000_000, of: mint, to: SolanaPublicKey(payer.publicKey))
        ledger.openAccount(of: payee, mint: mint)
        ledger.fund(SolanaPublicKey(feePayer.publicKey), lamports: 1_000_000_000)
        return try await SolanaStandIn.start(ledger: ledger)
    }

    static func client(_ standIn: SolanaStandIn, timeout: Int64 = 5, logger: Logger? = nil) -> SolanaRPCClient {
        SolanaRPCClient(url: standIn.url, timeout: .seconds(timeout), logger: logger ?? .quiet())
    }

    static func payment(_ blockhash: SolanaHash, amount: UInt64 = 2500, memo: String = "m-1") throws
        -> SolanaTransaction
    {
        let owner = SolanaPublicKey(payer.publicKey)
        let message = try SolanaMessage.compile(
            payer: SolanaPublicKey(feePayer.publicKey),
            instructions: [
                .setComputeUnitLimit(20_000), .setComputeUnitPrice(microLamports: 1),
                .transferChecked(
                    source: AssociatedTokenAccount.address(owner: owner, mint: mint), mint: mint,
                    destination: AssociatedTokenAccount.address(owner: payee, mint: mint), authority: owner,
                    amount: amount, decimals: 6),
                .memo(memo),
            ], recentBlockhash: blockhash)
        return try SolanaTransaction(message: message).signed(with: payer).signed(with: feePayer)
    }

    @Test("a payment: blockhash, simulation, send, statuses from processed to finalized, the transaction")
    func payment() async throws {
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let rpc = Self.client(standIn)
        let latest = try await rpc.latestBlockhash(commitment: .finalized)
        #expect(try await rpc.isBlockhashValid(latest.blockhash, commitment: .processed))
        let mintInfo = try #require(try await rpc.accountInfo(Self.mint, commitment: .confirmed))
        #expect(mintInfo.mintDecimals == 6 && mintInfo.owner == SolanaPrograms.token)
        #expect(try await rpc.accountInfo(SolanaPublicKey(Self.secret(9).publicKey), commitment: .confirmed) == nil)

        let tx = try Self.payment(latest.blockhash)
        let simulation = try await rpc.simulate(tx, commitment: .confirmed)
        #expect(simulation.error == nil && !simulation.logs.isEmpty, "\(simulation)")
        let signature = try await rpc.send(tx, preflightCommitment: .confirmed)
        #expect(signature == tx.id)
        var levels: [SolanaCommitment?] = []
        for _ in 0..<3 { levels.append(try await rpc.signatureStatuses([signature])[0]?.confirmationStatus) }
        #expect(levels == [.confirmed, .finalized, .finalized])
        let fetched = try #require(try await rpc.transaction(signature, commitment: .finalized))
        #expect(fetched.transaction == tx && fetched.error == nil)
        let payeeAccount = AssociatedTokenAccount.address(owner: Self.payee, mint: Self.mint)
        let post = try #require(
            fetched.postTokenBalances.first { fetched.transaction.message.accountKeys[$0.accountIndex] == payeeAccount }
        )
        #expect(post.amount == 2500 && post.owner == Self.payee && post.decimals == 6)
        #expect(standIn.ledger.balance(owner: Self.payee, mint: Self.mint) == 2500)
        #expect(standIn.ledger.executions(of: signature) == 1)
        // The same transaction again is refused by preflight (AlreadyProcessed) and moves nothing.
        let again = await #expect(throws: SolanaRPCError.self) {
            try await rpc.send(tx, preflightCommitment: .confirmed)
        }
        #expect(again?.code == .sendTransactionPreflightFailure)
        #expect(again?.data?["err"] == "AlreadyProcessed")
        #expect(standIn.ledger.balance(owner: Self.payee, mint: Self.mint) == 2500)
    }

    @Test("typed errors: a bad signature, an expired blockhash, a failed simulation, too little balance")
    func errors() async throws {
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let rpc = Self.client(standIn)
        let latest = try await rpc.latestBlockhash(commitment: .finalized)
        // A signature over another message.
        let good = try Self.payment(latest.blockhash)
        let other = try Self.payment(latest.blockhash, amount: 1)
        let forged = try SolanaTransaction(signatures: other.signatures, message: good.message)
        let badSignature = await #expect(throws: SolanaRPCError.self) {
            try await rpc.send(forged, preflightCommitment: .confirmed)
        }
        #expect(badSignature?.code == .transactionSignatureVerificationFailure)
        // More than the payer holds: the token program's InsufficientFunds (custom error 1) on instruction 2.
        let tooMuch = try Self.payment(latest.blockhash, amount: 2_000_000)
        #expect(
            try await rpc.simulate(tooMuch, commitment: .confirmed).error == ["InstructionError": [2, ["Custom": 1]]])
        // Injected simulation failure.
        standIn.ledger.failSimulations(1)
        #expect(try await rpc.simulate(good, commitment: .confirmed).error != nil)
        #expect(try await rpc.simulate(good, commitment: .confirmed).error == nil)
        // Expired blockhash.
        standIn.ledger.expireBlockhashes()
        #expect(try await !rpc.isBlockhashValid(latest.blockhash, commitment: .processed))
        #expect(try await rpc.simulate(good, commitment: .confirmed).error == "BlockhashNotFound")
        let expired = await #expect(throws: SolanaRPCError.self) {
            try await rpc.send(good, preflightCommitment: .confirmed)
        }
        #expect(expired?.code == .sendTransactionPreflightFailure && expired?.data?["err"] == "BlockhashNotFound")
        #expect(standIn.ledger.landedCount == 0)
    }

    @Test("lost confirmations and dropped sends answer null statuses")
    func lost() async throws {
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let rpc = Self.client(standIn)
        let latest = try await rpc.latestBlockhash(commitment: .finalized)
        standIn.ledger.dropSends(1)
        let dropped = try Self.payment(latest.blockhash, memo: "dropped")
        #expect(try await rpc.send(dropped, preflightCommitment: .confirmed) == dropped.id)
        #expect(try await rpc.signatureStatuses([dropped.id]) == [nil])
        standIn.ledger.loseConfirmations(true)
        let landed = try Self.payment(latest.blockhash, memo: "landed")
        _ = try await rpc.send(landed, preflightCommitment: .confirmed)
        #expect(try await rpc.signatureStatuses([landed.id, dropped.id]) == [nil, nil])
        #expect(try await rpc.transaction(landed.id, commitment: .confirmed) == nil)
        standIn.ledger.loseConfirmations(false)
        #expect(try await rpc.signatureStatuses([landed.id])[0]?.error == nil)
        #expect(try await rpc.signatureStatuses([landed.id])[0] != nil)
    }

    @Test("reads are retried after a 503, sends are not")
    func retries() async throws {
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let rpc = Self.client(standIn)
        standIn.ledger.failHTTP(2)
        let latest = try await rpc.latestBlockhash(commitment: .finalized)
        standIn.ledger.failHTTP(1)
        let tx = try Self.payment(latest.blockhash)
        let error = await #expect(throws: SolanaRPCError.self) {
            try await rpc.send(tx, preflightCommitment: .confirmed)
        }
        #expect(error?.kind == .http && error?.status == 503)
        #expect(standIn.ledger.sendCalls == 0)
        // Three failures exhaust the three attempts of a read.
        standIn.ledger.failHTTP(3)
        let exhausted = await #expect(throws: SolanaRPCError.self) {
            try await rpc.latestBlockhash(commitment: .finalized)
        }
        #expect(exhausted?.isTransient == true)
    }

    @Test("a slow answer is a timeout")
    func timeout() async throws {
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let rpc = SolanaRPCClient(
            url: standIn.url, timeout: .milliseconds(200), maxAttempts: 1, logger: .quiet())
        standIn.ledger.delay(1, by: .seconds(2))
        let error = await #expect(throws: SolanaRPCError.self) { try await rpc.latestBlockhash(commitment: .finalized) }
        #expect(error?.kind == .timeout)
    }

    @Test("the endpoint's key never reaches the logs")
    func noSecretInLogs() async throws {
        #expect(
            SolanaRPCClient.redact("https://user:pw@rpc.example.com:8899/v1/KEY?api-key=SECRET")
                == "https://rpc.example.com:8899/…")
        #expect(SolanaRPCClient.redact("not a url") == "<rpc>")
        let standIn = try await Self.cluster()
        defer { Task { await standIn.stop() } }
        let lines = CapturedLog()
        var logger = lines.logger
        logger.logLevel = .trace
        let rpc = SolanaRPCClient(url: standIn.url + "/?api-key=SECRET123", maxAttempts: 2, logger: logger)
        standIn.ledger.failHTTP(5)
        _ = try? await rpc.latestBlockhash(commitment: .finalized)
        #expect(!lines.text.isEmpty)
        #expect(!lines.text.contains("SECRET123"))
    }
}
