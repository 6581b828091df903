import Hummingbird
import KuraCore
import KuraService
import Logging
import ServiceLifecycle

/// Kura's HTTP server: the routes of `Schemas/openapi.yaml` over one ``KuraService``, plus the background
/// sweeper that applies time-based transitions (auto-release, expiry) and the checkpointer that signs
/// checkpoints of the receipt log as it grows.
///
/// ```swift
/// let server = KuraServer(service: service, configuration: .init(port: 8402), logger: logger)
/// try await server.run()   // until SIGINT or SIGTERM; in-flight requests finish first
/// ```
public struct KuraServer: Sendable {
    /// Where and how to serve. Passed in as a value.
    public struct Configuration: Sendable {
        /// The address to bind, e.g. `127.0.0.1` or `0.0.0.0`.
        public var host: String
        /// The TCP port; `0` lets the system pick a free one (see ``onListening``).
        public var port: Int
        /// The largest request body accepted; a larger one is answered 413 `payload_too_large`.
        public var maxBodyBytes: Int
        /// How often the sweeper runs, in milliseconds; `0` or less runs no sweeper in this server.
        public var sweepIntervalMs: Int64
        /// How often, at most, a checkpoint of the receipt log is issued while the log grows, in
        /// milliseconds; `0` or less issues none in the background (checkpoints are still signed on demand).
        public var checkpointIntervalMs: Int64
        /// Called once the server listens, with the bound port (the real one when ``port`` is 0).
        public var onListening: (@Sendable (Int) async -> Void)?
        /// The limit per client address (IPv6: per /64) on every public route; nil: none. Requests carrying a
        /// valid API key are not counted (``KuraRoutes/publicRoutes``).
        public var publicRateLimit: RateLimit? = .perAddress
        /// The limit on all anonymous requests to the public routes together; nil: none.
        public var anonymousRateLimit: RateLimit? = .allAnonymous
        /// Reverse proxies whose `X-Forwarded-For` names the client (IPv4 or IPv6 addresses); only requests
        /// whose peer is one of them are attributed to a forwarded address.
        public var trustedProxies: [String] = []
        /// How long a connection may go without the server receiving a complete part of a request, in
        /// milliseconds: no complete head within it after connecting or after the last answer (a slowloris
        /// sending headers a byte at a time, or an idle keep-alive connection), or a body stalled for that long,
        /// and the connection is closed. Bodies are read only from known callers, at most 64 KiB each.
        /// `0` or less: no limit.
        public var idleTimeoutMs: Int64 = 15_000
        /// Where request, writer and background figures are counted. Pass the instance the store was opened
        /// with (its observer) to see the writer's figures; nil: the server counts in a registry of its own.
        public var metrics: KuraMetrics? = nil
        /// Who may read `GET /metrics`, and on which port.
        public var metricsAccess: MetricsAccess = .operatorKey
        /// Called once the metrics listener of ``MetricsAccess/separatePort(host:port:)`` listens, with its port.
        public var onMetricsListening: (@Sendable (Int) async -> Void)? = nil
        /// Whether `GET /explorer` serves the explorer page.
        public var explorer: Bool = true
        /// How long the writer may owe work without finishing a batch before `GET /readyz` answers 503.
        public var writerStallSeconds: Double = 10

        /// The defaults: `127.0.0.1:8402`, 1 MiB bodies, a sweep every second, at most one checkpoint a second.
        public init(
            host: String = "127.0.0.1", port: Int = 8402, maxBodyBytes: Int = 1 << 20, sweepIntervalMs: Int64 = 1000,
            checkpointIntervalMs: Int64 = 1000, onListening: (@Sendable (Int) async -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.sweepIntervalMs = sweepIntervalMs
            self.checkpointIntervalMs = checkpointIntervalMs
            self.onListening = onListening
        }
    }

    /// Who may read `GET /metrics`, and where.
    public enum MetricsAccess: Sendable, Equatable {
        /// On the API port, to the operator's credentials (API key or signature) only.
        case operatorKey
        /// On a second listener of its own, without credentials (bind it where only the scraper reaches);
        /// `/metrics` on the API port is then 404.
        case separatePort(host: String, port: Int)
        /// Nowhere.
        case off
    }

    /// The service every route calls.
    public let service: KuraService
    /// Where and how to serve.
    public let configuration: Configuration
    /// Where the server, its requests and the sweeper log.
    public let logger: Logger

    /// Creates a server; nothing listens until ``run()`` (or the application from ``makeApplication()`` runs).
    public init(service: KuraService, configuration: Configuration = .init(), logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    /// The Hummingbird application: the router, the sweeper and checkpointer services, the bind address and the
    /// ``Configuration/onListening`` hook. Run it with `runService()`, in a `ServiceGroup`, or test it with
    /// HummingbirdTesting (`app.test(.router)` / `.live`).
    public func makeApplication() -> some ApplicationProtocol {
        let metrics = configuration.metrics ?? KuraMetrics()
        let handlers = makeHandlers(metrics: metrics)
        let onListening = configuration.onListening
        var services: [any Service] = []
        if configuration.sweepIntervalMs > 0 {
            services.append(
                KuraSweeper(
                    service: service, interval: .milliseconds(configuration.sweepIntervalMs), logger: logger,
                    metrics: metrics))
        }
        if case .separatePort(let host, let port) = configuration.metricsAccess {
            services.append(
                MetricsListener(service: service, metrics: metrics, logger: logger)
                    .makeApplication(host: host, port: port, onListening: configuration.onMetricsListening))
        }
        if !service.configuration.solana.isEmpty && configuration.sweepIntervalMs > 0 {
            services.append(
                SolanaReconciler(
                    service: service, interval: .milliseconds(max(configuration.sweepIntervalMs, 1000)), logger: logger)
            )
        }
        if configuration.checkpointIntervalMs > 0 {
            services.append(
                KuraCheckpointer(
                    service: service, interval: .milliseconds(configuration.checkpointIntervalMs), logger: logger))
        }
        let idleMs = configuration.idleTimeoutMs
        return Application(
            router: handlers.makeRouter(),
            server: .http1(configuration: .init(idleTimeout: idleMs > 0 ? .milliseconds(idleMs) : nil)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: services,
            onServerRunning: { channel in
                if let onListening, let port = channel.localAddress?.port { await onListening(port) }
            },
            logger: logger)
    }

    /// The route handlers with this configuration's limits. A trusted proxy that is not an address was refused
    /// by the CLI already; here it is dropped with an error in the log.
    func makeHandlers(metrics: KuraMetrics) -> KuraHandlers {
        var clients = ClientAddress.direct
        do { clients = try ClientAddress(trustedProxies: configuration.trustedProxies) } catch {
            logger.error("ignoring the trusted proxies", metadata: ["error": "\(error)"])
        }
        var handlers = KuraHandlers(
            service: service, maxBodyBytes: max(0, configuration.maxBodyBytes),
            operations: OperationsSettings(
                metrics: metrics, metricsOnAPIPort: configuration.metricsAccess == .operatorKey,
                explorer: configuration.explorer, writerStallSeconds: configuration.writerStallSeconds),
            logger: logger)
        handlers.publicAccess = PublicAccess(
            perAddress: configuration.publicRateLimit.map { RateLimiter(limit: $0) },
            allAnonymous: configuration.anonymousRateLimit.map { RateLimiter(limit: $0, capacity: 1) },
            clients: clients)
        if configuration.checkpointIntervalMs > 0 {
            // Up to two intervals: the checkpointer's next pass, and one more if that pass raced the append.
            handlers.checkpointWait = .milliseconds(min(2 * configuration.checkpointIntervalMs, 5_000))
        }
        return handlers
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully: the listener closes, in-flight requests
    /// finish, the sweeper stops after its current pass (the checkpointer at once), and this returns. The caller closes the store.
    public func run() async throws {
        try await makeApplication().runService()
    }
}
