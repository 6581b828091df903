import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraService
import KuraStore
import Logging

/// `kura serve`: the HTTP server on an embedded SQLite file or a PostgreSQL database.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Kura HTTP API (initialises the database on first start).",
        discussion: """
            With no flags: ./kura.sqlite on 127.0.0.1:8402. On first start the operator's API key is written to \
            FILE.operator-key (mode 0600). Stops gracefully on SIGINT/SIGTERM.

            Every option also comes from the environment (KURA_ and its name in capitals: --log-level is \
            KURA_LOG_LEVEL; a repeatable one comma-separated) or from a configuration file of `name = value` \
            lines (--config FILE or KURA_CONFIG). A flag wins over the environment, which wins over the file. \
            --print-config shows the effective values and where each came from, secrets masked.

            One log line per request on stderr (--log-format json: one JSON object per line). GET /metrics \
            (Prometheus) answers the operator's API key on the API port, or with --metrics port anyone on \
            --metrics-host:--metrics-port. GET /readyz says whether the database answers and the writer moves.

            Example: kura serve --db kura.sqlite --host 127.0.0.1 --port 8402 --log-format json

            On PostgreSQL (Docs/postgresql.md): kura init --db postgres://kura@db.internal:5432/kura once, then \
            on every node kura serve --db postgres://kura_node@db.internal:5432/kura --service-key-file kura.key (or \
            KURA_DATABASE_URL), where kura_node is a login role in kura_app. Several nodes may serve one database at \
            once.

            With Solana (x402 `exact`, deposits, withdrawals; Docs/solana.md): kura serve \
            --solana-rpc https://api.devnet.solana.com --solana-network solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1 \
            --solana-fee-payer-key fee-payer.key --solana-asset USDC=4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU:6
            """)
    @Option(
        help:
            "The database: an SQLite file or postgres://USER@HOST:PORT/DB (default kura.sqlite; or KURA_DATABASE_URL)."
    ) var db: String?
    @Option(
        help: "The service's signing key (default: the SQLite file with .key added; for PostgreSQL, DB.key here).")
    var serviceKeyFile: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port (default 8402; 0: any free port).") var port: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info).") var logLevel: String?
    @Option(help: "Log lines as text or json (default text).") var logFormat: String?
    @OptionGroup(title: "Disputes") var disputes: DisputePolicyOptions
    @OptionGroup(title: "Channels") var channels: ChannelPolicyOptions
    @OptionGroup(title: "Solana") var solana: SolanaOptions
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
        help: """
            Anonymous requests to the public routes allowed per client address (IPv6: per /64) per second, bursts \
            of twice that (default 20; 0: no limit).
            """)
    var rateLimit: String?
    @Option(
        help:
            "Anonymous requests to the public routes allowed per second from all addresses together (default 400; 0: no limit)."
    )
    var anonymousRateLimit: String?
    @Option(
        help: "A reverse proxy (IP address) whose X-Forwarded-For names the client for the rate limits; repeatable.")
    var trustedProxy: [String] = []
    @Option(
        help: """
            Close a connection that sends no complete request part for this long (ms): slow or idle clients \
            (default 15000; 0: never).
            """)
    var idleTimeoutMs: String?
    @Option(
        help:
            "Who reads GET /metrics: operator (on the API port, with the operator's key), port (anyone, on --metrics-host:--metrics-port) or off (default operator; --metrics-port alone means port)."
    )
    var metrics: String?
    @Option(help: "Address of the metrics listener with --metrics port (default 127.0.0.1).") var metricsHost: String?
    @Option(help: "Port of the metrics listener with --metrics port (default 9402; 0: any free port).")
    var metricsPort: String?
    @Option(help: "Serve the explorer page at /explorer: on or off (default on).") var explorer: String?
    @Option(help: "The JOSE alg Kura writes in envelopes and its JWK set: EdDSA or Ed25519 (default EdDSA).")
    var joseAlg: String?
    @Option(help: "Seconds the writer may owe work without finishing a batch before /readyz answers 503 (default 10).")
    var readyStallSeconds: String?
    @Option(
        help: """
            SQLite's page cache of the writer connection in MiB (default 64); each of the 4 read connections keeps \
            at most 2 MiB, or this if smaller. A smaller cache costs reads from the file, not correctness.
            """)
    var sqliteCacheMib: String?
    @Option(
        help: """
            Milliseconds an API-key authentication is remembered (default 1000; 0: read the key's party for every \
            request). A key revoked by another process (the CLI, another node) may still read here for this long; \
            it can never write.
            """)
    var apiKeyCacheMs: String?
    @Option(help: "A configuration file of `name = value` lines (default: $KURA_CONFIG, else none).") var config:
        String?
    @Flag(help: "Print the effective configuration (secrets masked) and exit.") var printConfig = false

    func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let (settings, resolved) = try resolve()
        if printConfig {
            FileHandle.standardOutput.write(Data(settings.printed().utf8))
            say("# memory allocator: \(MemoryAllocator.description)")
            return
        }
        try await reportingErrors {
            let location = try StorageLocation(resolved.db)
            let keyPath = resolved.serviceKeyFile ?? location.defaultKeyPath
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler =
                    resolved.logFormat == "json"
                    ? JSONLogHandler(label: label)
                    : DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
                handler.logLevel = resolved.logLevel
                return handler
            }
            // An SQLite file is created on first start; a PostgreSQL database is set up once by `kura init`.
            if case .sqlite(let database) = location, !FileManager.default.fileExists(atPath: database) {
                let summary = try await Initializer.initialize(
                    location: location, keyPath: keyPath, origin: "kura.local/log")
                let operatorKeyPath = database + ".operator-key"
                try SecretFile.write(summary.operatorApiKey + "\n", to: operatorKeyPath)
                say("initialised \(database); operator \(summary.operatorId) API key written to \(operatorKeyPath)")
                say("verifier key: \(summary.verifierKey)")
            }
            var serviceConfiguration = ServiceConfiguration()
            serviceConfiguration.disputes = resolved.disputePolicy
            serviceConfiguration.channels = resolved.channelPolicy
            serviceConfiguration.requestSignatureV1Until = resolved.requestSignatureV1Until
            serviceConfiguration.apiKeyCacheMs = resolved.apiKeyCacheMs
            serviceConfiguration.previousVerifiers = resolved.previousVerifiers
            serviceConfiguration.joseAlgorithm = resolved.joseAlgorithm
            serviceConfiguration.solana = try resolved.solana.rails(logLevel: resolved.logLevel)
            let metrics = KuraMetrics()
            var writer = WriterConfiguration()
            writer.observer = metrics
            let service = try await LocalService.open(
                location, keyPath: keyPath, logLevel: resolved.logLevel, configuration: serviceConfiguration,
                writer: writer,
                pageCacheKiB: resolved.sqliteCacheMiB * 1024)
            var logger = Logger(label: "kura.http")
            logger.logLevel = resolved.logLevel
            var configuration = KuraServer.Configuration()
            configuration.host = resolved.host
            configuration.port = resolved.port
            configuration.publicRateLimit =
                resolved.rateLimit > 0 ? RateLimit(requestsPerSecond: resolved.rateLimit) : nil
            configuration.anonymousRateLimit =
                resolved.anonymousRateLimit > 0 ? RateLimit(requestsPerSecond: resolved.anonymousRateLimit) : nil
            configuration.trustedProxies = resolved.trustedProxies
            configuration.idleTimeoutMs = resolved.idleTimeoutMs
            configuration.metrics = metrics
            configuration.metricsAccess = resolved.metricsAccess
            configuration.explorer = resolved.explorer
            configuration.writerStallSeconds = resolved.readyStallSeconds
            let host = resolved.host
            say("memory allocator: \(MemoryAllocator.description)")
            configuration.onListening = { port in say("listening on http://\(host):\(port)") }
            if case .separatePort(let metricsHost, _) = resolved.metricsAccess {
                configuration.onMetricsListening = { port in say("metrics on http://\(metricsHost):\(port)/metrics") }
            }
            try await KuraServer(service: service, configuration: configuration, logger: logger).run()
            service.store.close()
            say("stopped; database closed")
        }
    }

    /// The command line's own values, by setting name.
    var flags: [String: [String]] {
        var flags: [String: [String]] = [:]
        let single: [(String, String?)] = [
            ("db", db), ("service-key-file", serviceKeyFile), ("host", host), ("port", port), ("log-level", logLevel),
            ("log-format", logFormat),
            ("rate-limit", rateLimit), ("anonymous-rate-limit", anonymousRateLimit), ("idle-timeout-ms", idleTimeoutMs),
            ("request-signature-v1-until", requestSignatureV1Until), ("metrics", metrics),
            ("metrics-host", metricsHost),
            ("metrics-port", metricsPort), ("explorer", explorer), ("jose-alg", joseAlg),
            ("ready-stall-seconds", readyStallSeconds), ("sqlite-cache-mib", sqliteCacheMib),
            ("api-key-cache-ms", apiKeyCacheMs),
            ("channel-min-challenge", channels.channelMinChallenge.map { String($0) }),
            ("channel-min-lifetime", channels.channelMinLifetime.map { String($0) }),
        ]
        for case (let name, let value?) in single { flags[name] = [value] }
        flags.merge(solana.given) { _, given in given }
        flags.merge(disputes.given) { _, given in given }
        if !previousVerifierKey.isEmpty { flags["previous-verifier-key"] = previousVerifierKey }
        if !trustedProxy.isEmpty { flags["trusted-proxy"] = trustedProxy }
        return flags
    }

    /// The settings from flags, environment and file, and their typed values; a bad one is a usage error
    /// that names where it came from.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (
        ServeSettings, ServeConfiguration
    ) {
        let settings = try ServeSettings.resolve(flags: flags, config: config, environment: environment)
        return (settings, try ServeConfiguration(settings))
    }
}

/// The typed, checked values of ``ServeSettings``.
struct ServeConfiguration {
    var db: String
    var serviceKeyFile: String?
    var host: String
    var port: Int
    var logLevel: Logger.Level
    var logFormat: String
    var rateLimit: Double
    var anonymousRateLimit: Double
    var trustedProxies: [String]
    var idleTimeoutMs: Int64
    var apiKeyCacheMs: Int64
    var requestSignatureV1Until: Timestamp?
    var channelPolicy: ChannelPolicy
    var metricsAccess: KuraServer.MetricsAccess
    var explorer: Bool
    var joseAlgorithm: JOSEAlgorithm
    var readyStallSeconds: Double
    var sqliteCacheMiB: Int
    var disputePolicy: DisputePolicy
    var previousVerifiers: [NoteVerifier]
    var solana: SolanaOptions

    init(_ settings: ServeSettings) throws {
        func text(_ name: String) throws -> String {
            guard let value = settings.value(name), !value.isEmpty else {
                throw ValidationError("\(settings.source(name)) must not be empty")
            }
            return value
        }
        func port(_ name: String) throws -> Int {
            guard let value = Int(try text(name)), (0...65535).contains(value) else {
                throw ValidationError("\(settings.source(name)) must be a port, 0-65535")
            }
            return value
        }
        func choice(_ name: String, _ allowed: [String]) throws -> String {
            let value = try text(name)
            guard allowed.contains(value) else {
                throw ValidationError("\(settings.source(name)) must be one of \(allowed.joined(separator: ", "))")
            }
            return value
        }
        func seconds(_ name: String) throws -> Double {
            guard let value = Double(try text(name)), value.isFinite, value >= 0 else {
                throw ValidationError("\(settings.source(name)) must be a number, 0 or more")
            }
            return value
        }
        db = try text("db")
        serviceKeyFile = settings.value("service-key-file")
        host = try text("host")
        self.port = try port("port")
        guard let level = Logger.Level(rawValue: try text("log-level")) else {
            throw ValidationError("unknown \(settings.source("log-level")) \(try text("log-level"))")
        }
        logLevel = level
        logFormat = try choice("log-format", ["text", "json"])
        rateLimit = try seconds("rate-limit")
        anonymousRateLimit = try seconds("anonymous-rate-limit")
        trustedProxies = settings.list("trusted-proxy")
        for proxy in trustedProxies where ClientAddress.canonicalAddress(proxy) == nil {
            throw ValidationError("\(settings.source("trusted-proxy")) \(proxy) is not an IPv4 or IPv6 address")
        }
        guard let idle = Int64(try text("idle-timeout-ms")), idle >= 0 else {
            throw ValidationError("\(settings.source("idle-timeout-ms")) must be 0 or more milliseconds")
        }
        idleTimeoutMs = idle
        guard let cacheMs = Int64(try text("api-key-cache-ms")), (0...3_600_000).contains(cacheMs) else {
            throw ValidationError("\(settings.source("api-key-cache-ms")) must be 0-3600000 milliseconds")
        }
        apiKeyCacheMs = cacheMs
        requestSignatureV1Until = ServiceConfiguration.v1SignatureSunset
        if let until = settings.value("request-signature-v1-until") {
            requestSignatureV1Until = nil
            if until != "never" {
                let parser = ISO8601DateFormatter()
                parser.formatOptions = [.withFullDate]
                guard let date = parser.date(from: until) else {
                    throw ValidationError(
                        "\(settings.source("request-signature-v1-until")) must be YYYY-MM-DD or 'never'")
                }
                requestSignatureV1Until = Timestamp(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
            }
        }
        let metricsHost = try text("metrics-host")
        let metricsPort = try port("metrics-port")
        // --metrics-port alone asks for the separate listener.
        let mode =
            settings.origin("metrics") == .fallback && settings.origin("metrics-port") != .fallback
            ? "port" : try choice("metrics", ["operator", "port", "off"])
        switch mode {
        case "port": metricsAccess = .separatePort(host: metricsHost, port: metricsPort)
        case "off": metricsAccess = .off
        default: metricsAccess = .operatorKey
        }
        explorer = try choice("explorer", ["on", "off"]) == "on"
        guard let algorithm = JOSEAlgorithm(rawValue: try choice("jose-alg", JOSEAlgorithm.allCases.map(\.rawValue)))
        else { throw ValidationError("\(settings.source("jose-alg")) must be EdDSA or Ed25519") }
        joseAlgorithm = algorithm
        readyStallSeconds = try seconds("ready-stall-seconds")
        guard let cache = Int(try text("sqlite-cache-mib")), (1...65_536).contains(cache) else {
            throw ValidationError("\(settings.source("sqlite-cache-mib")) must be 1-65536 MiB")
        }
        sqliteCacheMiB = cache
        disputePolicy = try DisputePolicyOptions.policy(settings)
        var channelArguments: [String] = []
        for name in ["channel-min-challenge", "channel-min-lifetime"] {
            if let value = settings.value(name) { channelArguments += ["--\(name)", value] }
        }
        do { channelPolicy = try ChannelPolicyOptions.parse(channelArguments).policy() } catch {
            throw ValidationError("channel policy: \(ChannelPolicyOptions.message(for: error))")
        }
        var verifiers: [NoteVerifier] = []
        for text in settings.list("previous-verifier-key") {
            do throws(CryptoError) { verifiers.append(try NoteVerifier(parsing: text)) } catch {
                throw ValidationError("\(settings.source("previous-verifier-key")): \(error.reason)")
            }
        }
        previousVerifiers = verifiers
        var solanaArguments: [String] = []
        for name in SolanaOptions.repeatableNames + SolanaOptions.singleNames {
            for value in settings.list(name) { solanaArguments += ["--\(name)", value] }
        }
        do { solana = try SolanaOptions.parse(solanaArguments) } catch {
            throw ValidationError("solana: \(SolanaOptions.message(for: error))")
        }
    }
}

/// Writes a line to stdout at once (a server's output is often a pipe, where `print` would buffer).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
