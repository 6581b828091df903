import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura channel …`: pre-funded payment channels.
struct ChannelCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel", abstract: "Open, top up, sign vouchers for, settle, close and show payment channels.",
        subcommands: [Open.self, Show.self, TopUp.self, Voucher.self, Settle.self, Close.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deposit into a new channel for one provider (agent).",
            discussion: """
                Example: kura channel open --provider pty_… --amount 100000 --asset USDC --expires-in 86400 \\
                           --server http://127.0.0.1:8402 --api-key $AGENT_KEY
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The provider's party ID.") var provider: String
        @Option(help: "Deposit, atomic units.") var amount: UInt64
        @Option(help: "Asset.") var asset: String
        @Option(help: "Seconds the provider has to answer a close (default 3600).") var challengePeriod: Int64?
        @Option(help: "Seconds from now until the channel expires.") var expiresIn: Int64
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                guard expiresIn > 0, expiresIn < 10 * 365 * 86_400 else {
                    throw KuraError(.invalidRequest, "--expires-in must be 1 s to 10 years")
                }
                let request = OpenChannelRequest(
                    provider: try PartyID(validating: provider), asset: try Asset(asset),
                    amount: try Amount(units: amount),
                    challengePeriodMs: try challengePeriod.map { seconds throws(KuraError) in
                        guard seconds > 0, seconds <= Channel.maxChallengePeriodMs / 1000 else {
                            throw KuraError(.invalidRequest, "--challenge-period must be 1 s to 30 days")
                        }
                        return seconds * 1000
                    },
                    expiresAt: KuraClock.system.now().adding(milliseconds: expiresIn * 1000))
                let channel = try await backend.perform(KuraAPI.openChannel, request, idempotencyKey: idempotencyKey)
                if json { try printEncodable(channel) } else { Render.channel(channel) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a channel.", discussion: "Example: kura channel show ch_… --db kura.sqlite --json")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let channel = try await backend.perform(KuraAPI.showChannel, at: try ChannelID(validating: id))
                if json { try printEncodable(channel) } else { Render.channel(channel) }
            }
        }
    }

    struct TopUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "topup", abstract: "Add funds to an open channel (agent).",
            discussion: "Example: kura channel topup ch_… --amount 50000 --db kura.sqlite --as pty_agent")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Atomic units.") var amount: UInt64
        @OptionGroup var action: ChannelActionOptions
        func run() async throws {
            try await withBackend(target) { backend in
                try await action.perform(
                    KuraAPI.topUpChannel, id, TopUpRequest(amount: try Amount(units: amount)), backend)
            }
        }
    }

    struct Voucher: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a voucher for a cumulative amount with the agent's key (offline).",
            discussion: """
                Prints {voucher, signature}: the body of `kura channel settle` and, base64url-encoded, the value of \
                the Kura-Channel-Voucher header.

                Example: kura channel voucher ch_… --cumulative 1500 --sequence 3 --key agent.key > v3.json
                """)
        @Argument var id: String
        @Option(help: "Everything the provider may have taken so far, atomic units.") var cumulative: UInt64
        @Option(help: "The voucher's sequence, above every earlier one.") var sequence: UInt64
        @Option(help: "The agent's key file.") var key: String

        func run() async throws {
            try await reportingErrors {
                let voucher = ChannelVoucher(
                    channel: try ChannelID(validating: id), cumulativeAmount: try Amount(units: cumulative),
                    sequence: sequence)
                try printEncodable(try SignedVoucher(voucher, key: KeyFile.load(key).key))
            }
        }
    }

    struct Settle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle the latest voucher (provider): the growth since the last settlement is paid.",
            discussion:
                "Example: kura channel settle ch_… --voucher v3.json --server http://127.0.0.1:8402 --api-key $PROVIDER_KEY"
        )
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "A file from `kura channel voucher`.") var voucher: String
        @OptionGroup var action: ChannelActionOptions
        func run() async throws {
            try await withBackend(target) { backend in
                try await action.perform(
                    KuraAPI.settleChannel, id, try SignedVoucher.decode(Self.read(voucher)), backend)
            }
        }

        static func read(_ path: String) throws -> JSONValue {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KuraError(.notFound, "cannot read \(path)")
            }
            do { return try JSONValue.parse([UInt8](data)) } catch {
                throw KuraError(.invalidRequest, "\(path): \(error.reason)")
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a channel: at once by the provider (with an optional last voucher), or start the "
                + "challenge period as the agent.",
            discussion: "Example: kura channel close ch_… --voucher v9.json --db kura.sqlite --as pty_provider")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "The provider's last voucher to settle first.") var voucher: String?
        @OptionGroup var action: ChannelActionOptions
        func run() async throws {
            // The voucher is read before the backend opens: the same closure doing both crashed the Swift 6.3
            // compiler's coroutine splitting in release builds.
            var last = CloseChannelRequest()
            if let voucher { last = try CloseChannelRequest.decode(Settle.read(voucher)) }
            let body = last
            try await withBackend(target) { backend in
                try await action.perform(KuraAPI.closeChannel, id, body, backend)
            }
        }
    }
}

/// Shared by the channel actions.
struct ChannelActionOptions: ParsableArguments {
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func perform<Body>(
        _ action: KuraOperation<ChannelID, NoQuery, Body, Channel>, _ id: String, _ body: Body, _ backend: any Backend
    ) async throws {
        let channel = try await backend.perform(
            action, at: try ChannelID(validating: id), body, idempotencyKey: idempotencyKey)
        if json { try printEncodable(channel) } else { Render.channel(channel) }
    }
}

extension Render {
    static func channel(_ c: Channel) {
        printTable(
            ["field", "value"],
            [
                ["id", c.id.rawValue], ["state", c.state.rawValue], ["agent", c.agent.rawValue],
                ["provider", c.provider.rawValue], ["capacity", "\(c.capacity) \(c.asset)"],
                ["settled", "\(c.settled) (sequence \(c.sequence), fees \(c.fees))"], ["remaining", "\(c.remaining)"],
                ["expiresAt", "\(c.expiresAt)"], ["closeDueAt", c.closeDueAt.map { "\($0)" } ?? "-"],
                ["returned", c.returned.map { "\($0)" } ?? "-"],
            ])
    }
}
