import ArgumentParser

/// The `kura` command line: operators, arbiters and scripts.
@main
struct Kura: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kura",
        abstract: "Escrow and dispute resolution for payments between software agents.",
        discussion: """
            Commands work on a local database (--db FILE, or --db postgres://USER@HOST:PORT/DB) or a server (--server URL with --api-key). Exit codes: 0 success, 64 bad usage or \
            input, 65 data error (e.g. a broken chain), 66 not found, 69 refused, 75 conflict, 70 internal.

            Example: kura init --db kura.sqlite && kura log verify --db kura.sqlite
            """,
        subcommands: [
            Init.self, Serve.self, PartyCommands.self, Deposit.self, Withdraw.self, Balance.self, EscrowCommands.self,
            ReceiptCommands.self, DisputeCommands.self, ArbiterCommands.self,
            ChannelCommands.self,
            Sweep.self, Replay.self, Log.self, Backup.self, Restore.self, Keys.self, JSONCommand.self, Bench.self,
            ReputationCommands.self,
            MandateCommands.self, PositionCommands.self, PriceCommands.self, DatabaseCommands.self,
        ])
}
