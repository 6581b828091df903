import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraSolana
import KuraTesting
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `kura serve` on the Solana stand-in (started in this process): a withdrawal whose confirmation is
/// lost while Kura is SIGKILLed is reconciled after the restart and paid exactly once; a deposit signature used
/// twice credits once; the HTTP routes and the CLI take `--rail solana`.
@Suite("Solana end to end", .serialized)
struct SolanaEndToEndTests {
    static let feePayer = TestKeys.secretKey("e2e-fee-payer")
    static let mint = SolanaPublicKey(TestKeys.publicKey("e2e-mint"))
    static let destination = SolanaPublicKey(TestKeys.publicKey("e2e-destination"))
    static let network = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"

    struct World {
        let dir: TemporaryDirectory
        let standIn: SolanaStandIn
        let db: String
        let operatorKey: String
    }

    static func world() async throws -> World {
        let dir = try TemporaryDirectory()
        let ledger = SolanaStandInLedger()
        ledger.createMint(mint, decimals: 6)
        ledger.mint(1_000_000, of: mint, to: SolanaPublicKey(feePayer.publicKey))
        ledger.fund(SolanaPublicKey(feePayer.publicKey), lamports: 1_000_000_000)
        ledger.openAccount(of: destination, mint: mint)
        let standIn = try await SolanaStandIn.start(ledger: ledger)
        let signer = try NoteSigner(name: "fee-payer", key: feePayer)
        try (signer.signerKeyText + "\n").write(toFile: dir.path("fee-payer.key"), atomically: true, encoding: .utf8)
        let db = dir.path("kura.sqlite")
        let initialised = try await runKura(["init", "--db", db, "--json"], in: dir)
        try #require(initialised.status == 0, "\(initialised)")
        let operatorKey = try #require(try JSONValue.parse(initialised.stdout)["operatorApiKey"]?.stringValue)
        return World(dir: dir, standIn: standIn, db: db, operatorKey: operatorKey)
    }

    static func solanaArguments(_ world: World, timeoutMs: Int = 300) -> [String] {
        [
            "--solana-rpc", world.standIn.url, "--solana-network", network, "--solana-fee-payer-key",
            world.dir.path("fee-payer.key"), "--solana-asset", "USDC=\(mint.base58):6",
            "--solana-confirm-timeout-ms", "\(timeoutMs)",
        ]
    }

    static func serve(_ world: World, label: String) async throws -> FacilitatorCrashTests.Server {
        let binary = try KuraBinary.require()
        let out = world.dir.path("serve-\(label).stdout")
        let child = try ChildProcess.spawn(
            binary.path,
            ["serve", "--db", world.db, "--port", "0", "--log-level", "error"] + solanaArguments(world),
            in: world.dir.url.path, stdoutPath: out, stderrPath: world.dir.path("serve-\(label).stderr"))
        for _ in 0..<400 {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on ") {
                return FacilitatorCrashTests.Server(
                    child: child, url: String(text[range.upperBound...].prefix { !$0.isNewline }))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        child.send(SIGKILL)
        _ = await child.wait()
        throw TestFailure("kura serve did not start")
    }

    @Test("a withdrawal whose confirmation is lost while Kura is SIGKILLed is paid exactly once after the restart")
    func withdrawalSurvivesKill() async throws {
        let world = try await Self.world()
        defer { world.dir.remove() }
        let first = try await Self.serve(world, label: "first")
        let admin = KuraClient(baseURL: first.url, apiKey: world.operatorKey, maxAttempts: 1)
        let agent = try await admin.registerParty(
            RegisterPartyRequest(name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64))
        _ = try await admin.deposit(
            FundsRequest(asset: try Asset("USDC"), amount: try Amount(units: 50_000)), to: agent.party.id)
        let agentClient = KuraClient(baseURL: first.url, apiKey: agent.apiKey!, maxAttempts: 1)
        world.standIn.ledger.loseConfirmations(true)
        let ask = SolanaWithdrawalAsk(
            asset: try Asset("USDC"), amount: try Amount(units: 20_000), destination: Self.destination.base58)
        let pending = try await agentClient.withdraw(ask, from: agent.party.id)
        #expect(pending.state == "pending", "\(pending)")
        let id = pending.id
        #expect(world.standIn.ledger.sendCalls == 1 && world.standIn.ledger.landedCount == 1)
        first.child.send(SIGKILL)
        _ = await first.child.wait()
        world.standIn.ledger.loseConfirmations(false)

        let second = try await Self.serve(world, label: "second")
        defer { second.child.send(SIGKILL) }
        let again = KuraClient(baseURL: second.url, apiKey: agent.apiKey!, maxAttempts: 1)
        var state = ""
        for _ in 0..<200 {
            state = try await again.withdrawal(id).state
            if state != "pending" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(state == "completed")
        #expect(world.standIn.ledger.balance(owner: Self.destination, mint: Self.mint) == 20_000)
        #expect(world.standIn.ledger.sendCalls == 1 && world.standIn.ledger.landedCount == 1)
        let account = try await again.account(agent.party.id)
        #expect(account.balances.first?.available == 30_000)
        second.child.send(SIGTERM)
        _ = await second.child.wait()
        await world.standIn.stop()
    }

    /// The catalog answers a withdrawal by its outcome: an account on the ledger's rail (200, no Location), a
    /// withdrawal resource on Solana's (201 at its Location, which answers). Ported from a parallel branch.
    @Test("a withdrawal answers by its rail: 200 with the account on the ledger, 201 at its Location on Solana")
    func withdrawalAnswers() async throws {
        let world = try await Self.world()
        defer { world.dir.remove() }
        let server = try await Self.serve(world, label: "answers")
        defer { server.child.send(SIGKILL) }
        let admin = KuraClient(baseURL: server.url, apiKey: world.operatorKey, maxAttempts: 1)
        let agent = try await admin.registerParty(
            RegisterPartyRequest(name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64))
        let usdc = try Asset("USDC")
        _ = try await admin.deposit(FundsRequest(asset: usdc, amount: try Amount(units: 50_000)), to: agent.party.id)
        let path = "/v1/accounts/\(agent.party.id)/withdrawals"

        let ledger = try await admin.send(
            .POST, path, body: try JSONValue(encoding: FundsRequest(asset: usdc, amount: try Amount(units: 1_000))))
        #expect(ledger.status == 200 && ledger.headers.first(name: "Location") == nil)
        #expect(try ledger.json()["balances"]?.arrayValue?.first?["available"] == 49_000)

        let agentClient = KuraClient(baseURL: server.url, apiKey: agent.apiKey, maxAttempts: 1)
        let ask: JSONValue = [
            "rail": "solana", "asset": "USDC", "amount": 2_000, "destination": .string(Self.destination.base58),
        ]
        let onChain = try await agentClient.send(.POST, path, body: ask)
        let id = try #require(try onChain.json()["id"]?.stringValue)
        #expect(onChain.status == 201 && onChain.headers.first(name: "Location") == "/v1/withdrawals/\(id)")
        let located = try await agentClient.send(.GET, "/v1/withdrawals/\(id)")
        #expect(located.status == 200)
        #expect(try located.json()["id"]?.stringValue == id)

        // The typed calls read both shapes of the answer.
        let typed = try await agentClient.withdraw(
            SolanaWithdrawalAsk(asset: usdc, amount: try Amount(units: 3_000), destination: Self.destination.base58),
            from: agent.party.id)
        #expect(typed.amount.units == 3_000 && typed.party == agent.party.id)
        #expect(try await agentClient.withdrawal(typed.id).id == typed.id)
        let account = try await admin.withdraw(
            FundsRequest(asset: usdc, amount: try Amount(units: 4_000)), from: agent.party.id)
        #expect(account.balances.first?.available == 40_000)
        server.child.send(SIGTERM)
        _ = await server.child.wait()
        await world.standIn.stop()
    }

    @Test("deposits and withdrawals through the CLI with --rail solana; a signature credits once")
    func cli() async throws {
        let world = try await Self.world()
        defer { world.dir.remove() }
        let registered = try await runKura(
            [
                "party", "add", "--db", world.db, "--name", "agent", "--role", "agent",
                "--public-key", TestKeys.publicKey("agent").base64, "--json",
            ], in: world.dir)
        try #require(registered.status == 0, "\(registered)")
        let party = try #require(try JSONValue.parse(registered.stdout)["party"]?["id"]?.stringValue)
        // A transfer from someone to Kura's treasury naming the party, finalized.
        let sender = TestKeys.secretKey("e2e-sender")
        let ledger = world.standIn.ledger
        ledger.mint(9_000, of: Self.mint, to: SolanaPublicKey(sender.publicKey))
        ledger.fund(SolanaPublicKey(sender.publicKey), lamports: 1_000_000)
        let owner = SolanaPublicKey(sender.publicKey)
        let message = try SolanaMessage.compile(
            payer: owner,
            instructions: [
                .transferChecked(
                    source: AssociatedTokenAccount.address(owner: owner, mint: Self.mint), mint: Self.mint,
                    destination: AssociatedTokenAccount.address(
                        owner: SolanaPublicKey(Self.feePayer.publicKey), mint: Self.mint),
                    authority: owner, amount: 9_000, decimals: 6),
                .memo(party),
            ], recentBlockhash: ledger.latestBlockhash().0)
        let signature = try ledger.send(try SolanaTransaction(message: message).signed(with: sender))
        for _ in 0..<3 { _ = ledger.statuses([signature]) }
        let arguments =
            ["--db", world.db, "--rail", "solana", "--tx", signature.base58, "--json"] + Self.solanaArguments(world)
        let deposited = try await runKura(["deposit", party] + arguments, in: world.dir)
        #expect(deposited.status == 0, "\(deposited)")
        #expect(try JSONValue.parse(deposited.stdout)["balances"]?.arrayValue?.first?["available"] == 9_000)
        let twice = try await runKura(["deposit", party] + arguments, in: world.dir)
        #expect(twice.status == 75 && twice.stderr.contains("transfer_used"), "\(twice)")
        let withdrawn = try await runKura(
            [
                "withdraw", party, "--db", world.db, "--rail", "solana", "--asset", "USDC", "--amount", "4000",
                "--destination", Self.destination.base58, "--json",
            ] + Self.solanaArguments(world, timeoutMs: 5000),
            in: world.dir)
        #expect(withdrawn.status == 0, "\(withdrawn)")
        #expect(try JSONValue.parse(withdrawn.stdout)["state"] == "completed")
        #expect(ledger.balance(owner: Self.destination, mint: Self.mint) == 4_000)
        await world.standIn.stop()
    }
}
