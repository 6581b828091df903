import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraService
import Logging

/// `kura serve`: the HTTP server on an embedded SQLite file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Kura HTTP API (initialises the database on first start).",
        discussion: """
            With no flags: ./kura.sqlite on 127.0.0.1:8402. On first start the operator's API key is written to \
            FILE.operator-key (mode 0600). Stops gracefully on SIGINT/SIGTERM.

            Example: kura serve --db kura.sqlite --host 127.0.0.1 --port 8402

            With Solana (x402 `exact`, deposits, withdrawals; Docs/solana.md): kura serve \
            --solana-rpc https://api.devnet.solana.com --solana-network solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1 \
            --solana-fee-payer-key fee-payer.key --solana-asset USDC=4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU:6
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port: Int = 8402
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @OptionGroup(title: "Disputes") var disputes: DisputePolicyOptions
    @OptionGroup(title: "Solana") var solana: SolanaOptions
    @Option(
        help: "A previous signing key's verifier key (<name>+<key id>+<key>) whose envelopes still settle; repeatable.")
    var previousVerifierKey: [String] = []
    @Option(help: "Public reputation reads allowed per client address per second (0: no limit).")
    var rateLimit: Double = RateLimit.generous.requestsPerSecond

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try disputes.policy()
        guard rateLimit >= 0, rateLimit.isFinite else { throw ValidationError("--rate-limit must be 0 or more") }
    }

    func run() async throws {
        try await reportingErrors {
            if !FileManager.default.fileExists(atPath: database.db) {
                let summary = try await Initializer.initialize(
                    database: database.db, keyPath: database.keyPath, origin: "kura.local/log")
                let keyPath = database.db + ".operator-key"
                try SecretFile.write(summary.operatorApiKey + "\n", to: keyPath)
                say("initialised \(database.db); operator \(summary.operatorId) API key written to \(keyPath)")
                say("verifier key: \(summary.verifierKey)")
            }
            var serviceConfiguration = ServiceConfiguration()
            serviceConfiguration.disputes = try disputes.policy()
            serviceConfiguration.previousVerifiers = try previousVerifierKey.map { try NoteVerifier(parsing: $0) }
            serviceConfiguration.solana = try solana.rails(logLevel: Logger.Level(rawValue: logLevel) ?? .info)
            let service = try LocalService.open(
                path: database.db, logLevel: Logger.Level(rawValue: logLevel) ?? .info,
                configuration: serviceConfiguration)
            var logger = Logger(label: "kura.http")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            var configuration = KuraServer.Configuration()
            configuration.host = host
            configuration.port = port
            configuration.publicRateLimit = rateLimit > 0 ? RateLimit(requestsPerSecond: rateLimit) : nil
            configuration.onListening = { port in
                say("listening on http://\(host):\(port)")
            }
            try await KuraServer(service: service, configuration: configuration, logger: logger).run()
            service.store.close()
            say("stopped; database closed")
        }
    }
}

/// Writes a line to stdout at once (a server's output is often a pipe, where `print` would buffer).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
