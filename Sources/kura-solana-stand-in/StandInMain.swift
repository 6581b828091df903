import ArgumentParser
import Foundation
import KuraTesting

/// A Solana JSON-RPC stand-in on loopback, for scripts (scripts/check-x402-svm.sh): the cluster of
/// ``SolanaStandInLedger``, set up and steered through its `standIn_*` methods. Not a cluster: a test tool.
@main
struct StandInMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kura-solana-stand-in",
        abstract: "Serve a Solana JSON-RPC stand-in on 127.0.0.1 (a test tool, not a cluster).",
        discussion: "Example: kura-solana-stand-in --port 0   # prints: listening on http://127.0.0.1:<port>")

    @Option(help: "Port (0: any free port).") var port: Int = 0
    @Option(help: "Slots from landing to finalized.") var finalityLag: UInt64 = 2

    func run() async throws {
        let standIn = try await SolanaStandIn.start(ledger: SolanaStandInLedger(finalityLag: finalityLag), port: port)
        FileHandle.standardOutput.write(Data("listening on \(standIn.url) network \(standIn.ledger.network.id)\n".utf8))
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }
}
