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
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port: Int = 8402
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @OptionGroup(title: "Disputes") var disputes: DisputePolicyOptions
    @OptionGroup(title: "Channels") var channels: ChannelPolicyOptions
    @Option(
        help: "A previous signing key's verifier key (<name>+<key id>+<key>) whose envelopes still settle; repeatable.")
    var previousVerifierKey: [String] = []
    @Option(
        help: """
            Accept requests signed with the deprecated kura-request-v1 text until this UTC date (YYYY-MM-DD), \
            or 'never' (default 2027-06-01).
            """)
    var requestSignatureV1Until: String?
    @Option(
        help:
            "Anonymous requests to the public routes allowed per client address (IPv6: per /64) per second, bursts of twice that (0: no limit)."
    )
    var rateLimit: Double = RateLimit.perAddress.requestsPerSecond
    @Option(
        help: "Anonymous requests to the public routes allowed per second from all addresses together (0: no limit).")
    var anonymousRateLimit: Double = RateLimit.allAnonymous.requestsPerSecond
    @Option(
        help: "A reverse proxy (IP address) whose X-Forwarded-For names the client for the rate limits; repeatable.")
    var trustedProxy: [String] = []
    @Option(
        help:
            "Close a connection that sends no complete request part for this long (ms): slow or idle clients (0: never)."
    )
    var idleTimeoutMs: Int64 = KuraServer.Configuration().idleTimeoutMs

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try disputes.policy()
        _ = try channels.policy()
        guard rateLimit >= 0, rateLimit.isFinite else { throw ValidationError("--rate-limit must be 0 or more") }
        guard anonymousRateLimit >= 0, anonymousRateLimit.isFinite else {
            throw ValidationError("--anonymous-rate-limit must be 0 or more")
        }
        for proxy in trustedProxy where ClientAddress.canonicalAddress(proxy) == nil {
            throw ValidationError("--trusted-proxy \(proxy) is not an IPv4 or IPv6 address")
        }
        _ = try v1SignatureSunset()
    }

    /// `--request-signature-v1-until`: a date, `never`, or the default.
    func v1SignatureSunset() throws -> Timestamp? {
        guard let text = requestSignatureV1Until else { return ServiceConfiguration.v1SignatureSunset }
        if text == "never" { return nil }
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withFullDate]
        guard let date = parser.date(from: text) else {
            throw ValidationError("--request-signature-v1-until must be YYYY-MM-DD or 'never'")
        }
        return Timestamp(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
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
            serviceConfiguration.channels = try channels.policy()
            serviceConfiguration.requestSignatureV1Until = try v1SignatureSunset()
            serviceConfiguration.previousVerifiers = try previousVerifierKey.map { try NoteVerifier(parsing: $0) }
            let service = try LocalService.open(
                path: database.db, logLevel: Logger.Level(rawValue: logLevel) ?? .info,
                configuration: serviceConfiguration)
            var logger = Logger(label: "kura.http")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            var configuration = KuraServer.Configuration()
            configuration.host = host
            configuration.port = port
            configuration.publicRateLimit = rateLimit > 0 ? RateLimit(requestsPerSecond: rateLimit) : nil
            configuration.anonymousRateLimit =
                anonymousRateLimit > 0 ? RateLimit(requestsPerSecond: anonymousRateLimit) : nil
            configuration.trustedProxies = trustedProxy
            configuration.idleTimeoutMs = idleTimeoutMs
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
