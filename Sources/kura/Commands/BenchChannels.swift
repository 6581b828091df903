import ArgumentParser
import AsyncHTTPClient
import Foundation
import KuraClient
import KuraCore
import KuraCrypto

/// `kura bench channels`: load on a provider's channel-paid route beside the same route unpaid, then
/// settlements per second against Kura. Driven by `scripts/bench-channels.sh`, which starts `kura serve`
/// and `kura-example-provider` and registers the parties.
struct BenchChannels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channels",
        abstract: "Paid calls/s through the channel-voucher middleware beside the unpaid route; settlements/s.",
        discussion: "Run it through scripts/bench-channels.sh, which sets everything up.")

    @Option(help: "Kura's base URL.") var kura: String
    @Option(help: "The agent's API key.") var agentApiKey: String
    @Option(help: "The agent's key file.") var agentKeyFile: String
    @Option(help: "The provider's party ID.") var provider: String
    @Option(help: "The provider's API key (for the settlement phase).") var providerApiKey: String
    @Option(help: "The provider's base URL (paid /v1/quote, unpaid /free/quote).") var providerUrl: String
    @Option(help: "Concurrent connections, one channel each.") var connections: Int = 64
    @Option(help: "Seconds per phase.") var seconds: Double = 10
    @Option(help: "Price per call.") var price: UInt64 = 1

    func run() async throws {
        try await reportingErrors {
            let agentKey = try KeyFile.load(agentKeyFile).key
            let agent = KuraClient(baseURL: kura, apiKey: agentApiKey)
            let providerID = try PartyID(validating: provider)
            let asset = try Asset("USDC")
            let expiresAt = KuraClock.system.now().adding(milliseconds: 86_400_000)
            // Enough vouchers for the paid phase, pre-signed so that signing is not in the measured loop.
            let perChannel = 200_000
            var channels: [ChannelID] = []
            for _ in 0..<connections {
                let request = OpenChannelRequest(
                    provider: providerID, asset: asset, amount: try Amount(units: UInt64(perChannel * 2) * price),
                    expiresAt: expiresAt)
                channels.append(try await agent.openChannel(request).id)
            }
            print("opened \(channels.count) channels")
            let unpaid = try await load(path: "/free/quote", headers: { _, _ in nil }, channels: channels)
            print(String(format: "unpaid GET /free/quote:          %8.0f requests/s", unpaid))
            let price = self.price
            let paid = try await load(
                path: "/v1/quote",
                headers: { channel, n in
                    let voucher = ChannelVoucher(
                        channel: channel, cumulativeAmount: Amount(clamping: UInt64(n) * price), sequence: UInt64(n))
                    return try? SignedVoucher(voucher, key: agentKey).headerValue()
                }, channels: channels)
            print(
                String(
                    format: "paid GET /v1/quote (vouchers):   %8.0f requests/s (%.0f%% of unpaid)", paid,
                    100 * paid / unpaid))
            let settlements = try await settle(channels: channels, agentKey: agentKey)
            print(String(format: "channel settlements over HTTP:   %8.0f settlements/s", settlements))
        }
    }

    /// Each connection owns one channel and sends its calls in order; returns requests per second.
    func load(
        path: String, headers: @escaping @Sendable (ChannelID, Int) -> String?, channels: [ChannelID]
    ) async throws -> Double {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        let url = providerUrl + path
        let start = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for channel in channels {
                group.addTask {
                    var done = 0
                    var n = 0
                    while ContinuousClock.now < deadline {
                        n += 1
                        var request = HTTPClientRequest(url: url)
                        if let value = headers(channel, n) {
                            request.headers.add(name: SignedVoucher.headerName, value: value)
                        }
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status.code == 200 else {
                            throw KuraError(.internalError, "\(path) answered \(response.status.code) on call \(n)")
                        }
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: .now)
        return Double(counts) / Self.seconds(elapsed)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Settles growing vouchers on every channel as the provider, as fast as Kura takes them.
    func settle(channels: [ChannelID], agentKey: Ed25519.SecretKey) async throws -> Double {
        let client = KuraClient(baseURL: kura, apiKey: providerApiKey)
        let rounds = 50
        let start = ContinuousClock.now
        let current = try await withThrowingTaskGroup(of: Int.self) { group in
            for channel in channels {
                group.addTask {
                    let state = try await client.channel(channel)
                    var sequence = state.sequence + 1_000_000
                    var cumulative = state.settled.units
                    for _ in 0..<rounds {
                        sequence += 1
                        cumulative += 1
                        let voucher = ChannelVoucher(
                            channel: channel, cumulativeAmount: try Amount(units: cumulative), sequence: sequence)
                        _ = try await client.perform(
                            KuraAPI.settleChannel, at: channel, SignedVoucher(voucher, key: agentKey))
                    }
                    return rounds
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: .now)
        return Double(current) / Self.seconds(elapsed)
    }
}

extension Amount {
    /// For benchmarks: `units`, capped at the largest amount.
    init(clamping units: UInt64) { self = (try? Amount(units: min(units, Amount.maxUnits))) ?? .zero }
}
