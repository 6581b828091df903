import ArgumentParser
import Foundation
import Hummingbird
import KuraClient
import KuraCore
import KuraProvider
import KuraX402
import Logging

/// A small paid API: what a provider writes to sell calls through Kura. `GET /v1/quote` is paid per call
/// with channel vouchers (Kura-Channel-Voucher); with `--forecast-price`, `GET /v1/forecast` is paid per
/// request over x402 (both dialects, Kura's `exact` and `escrow` schemes); `GET /healthz` is free. It talks to Kura over HTTP only,
/// with the provider's own API key, so it runs in its own process beside `kura serve`.
@main
struct ExampleProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kura-example-provider",
        abstract: "A paid JSON API behind Kura's channel-voucher middleware.",
        discussion: """
            Example: kura-example-provider --kura http://127.0.0.1:8402 --api-key-file provider.key \\
                       --provider pty_… --asset USDC --price 7 --journal provider.journal --port 8403
            """)

    @Option(help: "Kura's base URL.") var kura: String
    @Option(help: ArgumentHelp(APIKeySource.flagHelp)) var apiKey: String?
    @Option(help: ArgumentHelp(APIKeySource.fileHelp)) var apiKeyFile: String?
    @Option(help: "The provider's party ID.") var provider: String
    @Option(help: "The asset it is paid in.") var asset: String
    @Option(help: "Price per call of GET /v1/quote, atomic units.") var price: UInt64
    @Option(help: "The voucher journal file.") var journal: String
    @Option(help: "Fsync the journal this often (ms); a crash loses at most this window.") var flushIntervalMs: Int64 =
        200
    @Option(help: "Settle a channel after this many calls.") var settleEveryCalls: Int = 1000
    @Option(help: "…or after this long with calls pending (ms).") var settleEveryMs: Int64 = 10_000
    @Option(help: "Refuse channels whose challenge period is shorter (ms; default max(300000, 3 × settle-every-ms)).")
    var minChallengeMs: Int64?
    @Option(help: "Refuse calls on channels expiring sooner (ms; default max(300000, 3 × settle-every-ms)).")
    var minRemainingLifetimeMs: Int64?
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port: Int = 8403
    @Option(help: "Price of GET /v1/forecast over x402, atomic units (default: the route is off).")
    var forecastPrice: UInt64?
    @Option(help: "x402 schemes offered for /v1/forecast, comma-separated.") var forecastSchemes: String =
        "exact,escrow"
    @Option(
        help: ArgumentHelp(
            "When /v1/forecast settles an x402 v2 payment: after-serving (verify, serve, settle a 2xx answer) "
                + "or before-serving (settle, then serve: one call to Kura).",
            valueName: "order"))
    var forecastSettlement: String = X402SettlementOrder.afterServing.rawValue
    @Option(help: "The seed receipts already accepted (append-only file).") var receiptJournal: String?
    @Option(help: "Connections to Kura for x402 verify/settle (concurrent paid requests).") var kuraConnections: Int =
        64
    @Option(help: "The provider's public URL prefix, for x402 resource URLs (default: http:// and the Host asked for).")
    var publicURL: String?

    func run() async throws {
        guard let key = try APIKeySource.resolve(flag: apiKey, file: apiKeyFile) else {
            throw ValidationError("give --api-key-file, KURA_API_KEY or --api-key")
        }
        guard let settlementOrder = X402SettlementOrder(rawValue: forecastSettlement) else {
            throw ValidationError("--forecast-settlement: after-serving or before-serving, not '\(forecastSettlement)'")
        }
        var logger = Logger(label: "kura.example-provider")
        logger.logLevel = .warning
        var settings = ChannelVoucherGate.Configuration(
            provider: try PartyID(validating: provider), asset: try Asset(asset), journalPath: journal)
        settings.flushIntervalMs = flushIntervalMs
        settings.settleEveryCalls = settleEveryCalls
        settings.settleEveryMs = settleEveryMs
        settings.minChallengePeriodMs = minChallengeMs
        settings.minRemainingLifetimeMs = minRemainingLifetimeMs
        let gate = try ChannelVoucherGate(
            configuration: settings, client: KuraClient(baseURL: kura, apiKey: key), logger: logger)

        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        @Sendable func quote(_: Request, _: BasicRequestContext) -> Response {
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"symbol":"KURA","price":"1.2345"}"#)))
        }
        // The same answer unpaid, as the benchmarks' baseline.
        router.get("/free/quote", use: quote)
        router.group("/v1")
            .add(middleware: ChannelPaymentMiddleware(gate: gate, price: try Amount(units: price)))
            .get("/quote", use: quote)
        // The x402 route's own connection pool to Kura, shut down when the application stops.
        let pool = forecastPrice.map { _ in KuraClient.pooledHTTPClient(connections: kuraConnections) }
        if let forecastPrice, let pool {
            let client = KuraClient(baseURL: kura, apiKey: key, httpClient: pool)
            // Every paid request makes one or two calls to Kura (settle; or verify, then settle): open the pool's
            // connections now.
            await client.warm(connections: kuraConnections)
            var offer = try await X402Offer.fetch(
                from: client, payTo: try PartyID(validating: provider), asset: try Asset(asset),
                price: try Amount(units: forecastPrice), baseURL: publicURL)
            offer.schemes = try forecastSchemes.split(separator: ",").map { name in
                guard let scheme = KuraScheme(rawValue: String(name)) else {
                    throw ValidationError("unknown scheme '\(name)' (exact, escrow)")
                }
                return scheme
            }
            offer.description = "Tomorrow's forecast"
            let middleware = X402PaymentMiddleware<BasicRequestContext>(
                offer: offer, client: client, book: try X402ReceiptBook(journalPath: receiptJournal), logger: logger,
                settlement: settlementOrder)
            let forecast: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, _ in
                let body = #"{"city":"Tokyo","highC":14,"lowC":6,"sky":"clear"}"#
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            router.group("/v1").add(middleware: middleware).get("/forecast", use: forecast).head(
                "/forecast", use: forecast)
            // The same answer with no price, as the benchmark's baseline (scripts/bench-x402.sh).
            router.get("/free/forecast", use: forecast)
        }
        let host = host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            services: [ChannelSettler(gate: gate)],
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)\n".utf8))
            }, logger: logger)
        try await app.runService()
        try await pool?.shutdown()
    }
}
