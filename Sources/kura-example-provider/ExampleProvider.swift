import ArgumentParser
import Foundation
import Hummingbird
import KuraClient
import KuraCore
import KuraHTTP
import Logging

/// A small paid API: what a provider writes to sell calls through Kura. `GET /v1/quote` is paid per call
/// with channel vouchers (Kura-Channel-Voucher); `GET /healthz` is free. It talks to Kura over HTTP only,
/// with the provider's own API key, so it runs in its own process beside `kura serve`.
@main
struct ExampleProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kura-example-provider",
        abstract: "A paid JSON API behind Kura's channel-voucher middleware.",
        discussion: """
            Example: kura-example-provider --kura http://127.0.0.1:8402 --api-key $PROVIDER_KEY \\
                       --provider pty_… --asset USDC --price 7 --journal provider.journal --port 8403
            """)

    @Option(help: "Kura's base URL.") var kura: String
    @Option(help: "The provider's API key (default: $KURA_API_KEY).") var apiKey: String?
    @Option(help: "The provider's party ID.") var provider: String
    @Option(help: "The asset it is paid in.") var asset: String
    @Option(help: "Price per call of GET /v1/quote, atomic units.") var price: UInt64
    @Option(help: "The voucher journal file.") var journal: String
    @Option(help: "Fsync the journal this often (ms); a crash loses at most this window.") var flushIntervalMs: Int64 =
        200
    @Option(help: "Settle a channel after this many calls.") var settleEveryCalls: Int = 1000
    @Option(help: "…or after this long with calls pending (ms).") var settleEveryMs: Int64 = 10_000
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port: Int = 8403

    func run() async throws {
        guard let key = apiKey ?? ProcessInfo.processInfo.environment["KURA_API_KEY"] else {
            throw ValidationError("give --api-key or KURA_API_KEY")
        }
        var logger = Logger(label: "kura.example-provider")
        logger.logLevel = .warning
        var settings = ChannelVoucherGate.Configuration(
            provider: try PartyID(validating: provider), asset: try Asset(asset), journalPath: journal)
        settings.flushIntervalMs = flushIntervalMs
        settings.settleEveryCalls = settleEveryCalls
        settings.settleEveryMs = settleEveryMs
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
        let host = host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            services: [ChannelSettler(gate: gate)],
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)\n".utf8))
            }, logger: logger)
        try await app.runService()
    }
}
