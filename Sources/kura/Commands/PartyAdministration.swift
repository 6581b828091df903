import ArgumentParser
import KuraCore
import KuraCrypto

/// What every `kura party` status change takes: the party, the target, an idempotency key, `--json`.
struct StatusChangeOptions: ParsableArguments {
    @Argument(help: "The party, pty_…") var id: String
    @OptionGroup var target: TargetOptions
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func run(_ action: PartyAction) async throws {
        try await withBackend(target) { backend in
            let party = try await backend.perform(
                KuraAPI.statusChange(action), at: try PartyID(validating: id), EmptyRequest(),
                idempotencyKey: idempotencyKey)
            if json { try printEncodable(party) } else { Render.party(party) }
        }
    }
}

extension PartyCommands {
    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend a party (operator): its next request is refused, whatever its credential.",
            discussion: "Example: kura party suspend pty_… --server http://127.0.0.1:8402 --api-key $OPERATOR_KEY")
        @OptionGroup var options: StatusChangeOptions
        func run() async throws { try await options.run(.suspend) }
    }

    struct Reactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a suspended party act again (operator).",
            discussion: "Example: kura party reactivate pty_… --db kura.sqlite")
        @OptionGroup var options: StatusChangeOptions
        func run() async throws { try await options.run(.reactivate) }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a party for good (operator). Revoked is final.",
            discussion: "Example: kura party revoke pty_… --db kura.sqlite")
        @OptionGroup var options: StatusChangeOptions
        func run() async throws { try await options.run(.revoke) }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Replace a party's signing key (the party itself, or an operator); the old key stops at once.",
            discussion: """
                The new key signs the proof that the caller holds it. Channels the party opened keep the key they \
                were opened with for their vouchers: close them if the old key leaked.

                Example: kura keys generate --out alice-2.key
                         kura party rotate-key pty_… --key-file alice-2.key --server http://127.0.0.1:8402 \\
                             --api-key $ALICE_KEY
                """)
        @Argument(help: "The party, pty_…") var id: String
        @Option(help: "The new key, a file from `kura keys generate`.") var keyFile: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let newKey = try KeyFile.load(keyFile).key
                let party = try PartyID(validating: id)
                let current = try await backend.perform(KuraAPI.showParty, at: party).publicKey
                let request = RotateKeyRequest(
                    instance: try await backend.instanceName(), party: party, from: current, to: newKey)
                let rotated = try await backend.perform(
                    KuraAPI.rotatePartyKey, at: party, request, idempotencyKey: idempotencyKey)
                if json { try printEncodable(rotated) } else { Render.party(rotated.party) }
            }
        }
    }

    struct RotateAPIKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-api-key",
            abstract: "Replace a party's API key (the party itself, or an operator); the old key stops at once.",
            discussion: """
                Prints the new key once: Kura keeps only its hash.

                Example: kura party rotate-api-key pty_… --server http://127.0.0.1:8402 --api-key $ALICE_KEY
                """)
        @Argument(help: "The party, pty_…") var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let rotated = try await backend.perform(
                    KuraAPI.rotatePartyAPIKey, at: try PartyID(validating: id), EmptyRequest(),
                    idempotencyKey: idempotencyKey)
                if json { return try printEncodable(rotated) }
                Render.party(rotated.party)
                if let apiKey = rotated.apiKey { print("api key (shown once): \(apiKey)") }
            }
        }
    }
}
