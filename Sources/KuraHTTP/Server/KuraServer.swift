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
        /// The limit per client address on the public reputation routes; nil: none.
        public var publicRateLimit: RateLimit? = .generous

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
        let handlers = KuraHandlers(
            service: service, maxBodyBytes: max(0, configuration.maxBodyBytes),
            rateLimiter: configuration.publicRateLimit.map { RateLimiter(limit: $0) })
        let onListening = configuration.onListening
        var services: [any Service] = []
        if configuration.sweepIntervalMs > 0 {
            services.append(
                KuraSweeper(service: service, interval: .milliseconds(configuration.sweepIntervalMs), logger: logger))
        }
        if !service.configuration.solana.isEmpty && configuration.sweepIntervalMs > 0 {
            services.append(
                SolanaReconciler(
                    service: service, interval: .milliseconds(max(configuration.sweepIntervalMs, 1000)), logger: logger))
        }
        if configuration.checkpointIntervalMs > 0 {
            services.append(
                KuraCheckpointer(
                    service: service, interval: .milliseconds(configuration.checkpointIntervalMs), logger: logger))
        }
        return Application(
            router: handlers.makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: services,
            onServerRunning: { channel in
                if let onListening, let port = channel.localAddress?.port { await onListening(port) }
            },
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully: the listener closes, in-flight requests
    /// finish, the sweeper stops after its current pass (the checkpointer at once), and this returns. The caller closes the store.
    public func run() async throws {
        try await makeApplication().runService()
    }
}
