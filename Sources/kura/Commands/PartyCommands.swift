import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura party add|show|suspend|reactivate|revoke|rotate-key|rotate-api-key`.
struct PartyCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "party", abstract: "Register, inspect and administer parties.",
        subcommands: [
            Add.self, Show.self, Suspend.self, Reactivate.self, Revoke.self, RotateKey.self, RotateAPIKey.self,
        ])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a party (operator). Prints its API key once.",
            discussion: """
                Example: kura keys generate --out alice.key --json   # gives the public key
                         kura party add --name alice --role agent --public-key <base64> --db kura.sqlite
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "Display name.") var name: String
        @Option(name: .customLong("role"), help: "agent, provider, arbiter or operator; repeatable.") var roles:
            [Party.Role]
        @Option(help: "Base64 Ed25519 public key; or use --key-file.") var publicKey: String?
        @Option(help: "A key file from `kura keys generate`; its public key is used.") var keyFile: String?
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard !roles.isEmpty else { throw ValidationError("give at least one --role") }
            guard (publicKey == nil) != (keyFile == nil) else {
                throw ValidationError("give exactly one of --public-key or --key-file")
            }
        }

        func run() async throws {
            try await Self.register(
                name: name, roles: roles, publicKey: publicKey, keyFile: keyFile, idempotencyKey: idempotencyKey,
                json: json, target: target)
        }

        /// Registers a party with the public key given or read from a key file, and prints it with its API key.
        /// Shared by `party add` and `arbiter add`.
        static func register(
            name: String, roles: [Party.Role], publicKey: String?, keyFile: String?, idempotencyKey: String?,
            json: Bool, target: TargetOptions
        ) async throws {
            try await withBackend(target) { backend in
                let key = try publicKey ?? KeyFile.load(keyFile!).key.publicKey.base64
                let registration = try await backend.perform(
                    KuraAPI.registerParty, RegisterPartyRequest(name: name, roles: roles, publicKey: key),
                    idempotencyKey: idempotencyKey)
                if json { return try printEncodable(registration) }
                Render.party(registration.party)
                if let apiKey = registration.apiKey { print("api key (shown once): \(apiKey)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a party.", discussion: "Example: kura party show pty_… --db kura.sqlite")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let party = try await backend.perform(KuraAPI.showParty, at: try PartyID(validating: id))
                if json { try printEncodable(party) } else { Render.party(party) }
            }
        }
    }
}

extension Party.Role: ExpressibleByArgument {}
extension Escrow.State: ExpressibleByArgument {}

/// `kura deposit` and `kura withdraw` (operator).
struct Deposit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Credit funds to a party: an operator's ledger entry, or a transfer proven on Solana.",
        discussion: """
            Example: kura deposit pty_… --asset USDC --amount 1000000 --db kura.sqlite
            On chain (the party or an operator; once per transaction; Docs/solana.md): \
            kura deposit pty_… --rail solana --tx 5h6…Qx --server http://127.0.0.1:8402
            """)
    @Argument var party: String
    @OptionGroup var funds: FundsOptions
    @Option(help: "ledger (an operator's entry) or solana (a finalized transfer to Kura's treasury).")
    var rail: String = "ledger"
    @Option(help: "With --rail solana: the transaction's signature (base58).") var tx: String?
    @Option(help: "With --rail solana: the network, when Kura has several.") var network: String?
    @OptionGroup(title: "Solana (with --db)") var solana: SolanaOptions
    @OptionGroup var target: TargetOptions

    func validate() throws {
        guard ["ledger", "solana"].contains(rail) else { throw ValidationError("--rail is ledger or solana") }
        if rail == "solana" && tx == nil { throw ValidationError("--rail solana needs --tx SIGNATURE") }
    }

    func run() async throws {
        var configuration = ServiceConfiguration()
        configuration.solana = try solana.rails(logLevel: .warning)
        try await withBackend(target, configuration: configuration) { backend in
            let id = try PartyID(validating: party)
            let request: DepositRequest =
                if rail == "solana", let tx {
                    .solana(SolanaDepositProof(tx: tx, network: network))
                } else {
                    .ledger(try funds.request())
                }
            let account = try await backend.perform(
                KuraAPI.deposit, at: id, request, idempotencyKey: funds.idempotencyKey)
            if funds.json { try printEncodable(account) } else { Render.account(account) }
        }
    }
}

struct Withdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pay a party's available funds out of Kura: an operator's ledger entry, or a transfer on Solana.",
        discussion: """
            Example: kura withdraw pty_… --asset USDC --amount 500 --server http://127.0.0.1:8402
            On chain (the party itself or an operator, within the limits; Docs/solana.md): \
            kura withdraw pty_… --rail solana --asset USDC --amount 500 --destination 9xQe…sHq \
            --server http://127.0.0.1:8402 --api-key $PARTY_KEY
            """)
    @Argument var party: String
    @OptionGroup var funds: FundsOptions
    @Option(help: "ledger (an operator's entry) or solana (the treasury pays the destination).")
    var rail: String = "ledger"
    @Option(help: "With --rail solana: the owner address paid (at its associated token account).")
    var destination: String?
    @Option(help: "With --rail solana: the network, when Kura has several.") var network: String?
    @OptionGroup(title: "Solana (with --db)") var solana: SolanaOptions
    @OptionGroup var target: TargetOptions

    func validate() throws {
        guard ["ledger", "solana"].contains(rail) else { throw ValidationError("--rail is ledger or solana") }
        if rail == "solana" && destination == nil { throw ValidationError("--rail solana needs --destination") }
    }

    func run() async throws {
        var configuration = ServiceConfiguration()
        configuration.solana = try solana.rails(logLevel: .warning)
        try await withBackend(target, configuration: configuration) { backend in
            let id = try PartyID(validating: party)
            let request: WithdrawalRequest
            if rail == "solana", let destination {
                let funds = try funds.request()
                request = .solana(
                    SolanaWithdrawalAsk(
                        asset: funds.asset, amount: funds.amount, destination: destination, network: network))
            } else {
                request = .ledger(try funds.request())
            }
            switch try await backend.perform(KuraAPI.withdraw, at: id, request, idempotencyKey: funds.idempotencyKey) {
            case .account(let account):
                if funds.json { try printEncodable(account) } else { Render.account(account) }
            case .solana(let withdrawal):
                try Render.withdrawal(withdrawal, json: funds.json)
            }
        }
    }
}

struct FundsOptions: ParsableArguments {
    @Option(help: "Asset, e.g. USDC.") var asset: String?
    @Option(help: "Atomic units (integer).") var amount: UInt64?
    @Option(help: "Your reference for the transfer.") var reference: String?
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func request() throws -> FundsRequest {
        guard let asset, let amount else { throw ValidationError("give --asset and --amount") }
        return FundsRequest(asset: try Asset(asset), amount: try Amount(units: amount), reference: reference)
    }
}

/// `kura balance PARTY`.
struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a party's balances.", discussion: "Example: kura balance pty_… --db kura.sqlite --json")
    @Argument var party: String
    @OptionGroup var target: TargetOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await withBackend(target) { backend in
            let account = try await backend.perform(KuraAPI.showAccount, at: try PartyID(validating: party))
            if json { try printEncodable(account) } else { Render.account(account) }
        }
    }
}
