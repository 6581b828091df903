import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraSolana

/// `kura keys …`: Ed25519 key files for arbiters, parties and the service.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and show Ed25519 key files.",
        subcommands: [Generate.self, Show.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new secret key file (mode 0600) and print its public key.",
            discussion: """
                The file holds one C2SP note signer key line. It is never overwritten.

                Example: kura keys generate --out arbiter.key --name alice --json
                """)

        @Option(help: "The key file to create.")
        var out: String
        @Option(help: "A name for the key (no spaces or '+').")
        var name: String = "kura-key"
        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func validate() throws {
            guard NoteKeys.isValidName(name) else {
                throw ValidationError("--name must be non-empty, without spaces or '+'")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let signer = try NoteSigner(name: name, key: .generate())
                try KeyFile.create(signer, at: out)
                if json {
                    printJSON([
                        "publicKey": .string(signer.key.publicKey.base64), "verifierKey": .string(signer.verifier.text),
                        "solanaAddress": .string(SolanaPublicKey(signer.key.publicKey).base58),
                    ])
                } else {
                    print("public key: \(signer.key.publicKey.base64)")
                    print("verifier key: \(signer.verifier.text)")
                    print("solana address: \(SolanaPublicKey(signer.key.publicKey).base58)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public and verifier key of a key file.",
            discussion: "Example: kura keys show --key kura.sqlite.key")

        @Option(help: "The secret key file.")
        var key: String
        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let signer = try KeyFile.load(key)
                if json {
                    printJSON([
                        "publicKey": .string(signer.key.publicKey.base64), "verifierKey": .string(signer.verifier.text),
                        "solanaAddress": .string(SolanaPublicKey(signer.key.publicKey).base58),
                    ])
                } else {
                    print(signer.verifier.text)
                }
            }
        }
    }
}
