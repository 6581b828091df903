import ArgumentParser
import Testing

@testable import kura

/// Review findings on `kura serve`'s Solana settings, each a way to pay twice or credit what did not arrive.
@Suite("kura serve: Solana settings that would lose money are refused")
struct SolanaOptionsTests {
    static let mint = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    static let otherMint = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"
    static let base = [
        "--solana-rpc", "http://127.0.0.1:8899", "--solana-network", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
        "--solana-fee-payer-key", "fee-payer.key",
    ]

    static func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try SolanaOptions.parse(base + arguments)
            return nil
        } catch {
            return SolanaOptions.message(for: error)
        }
    }

    @Test("a commitment of processed (one fork's view) is refused for settlements and for receipts")
    func processedIsRefused() {
        for option in ["--solana-commitment", "--solana-receipt-commitment"] {
            let refused = Self.refusal([option, "processed", "--solana-asset", "USDC=\(Self.mint):6"])
            #expect(refused?.contains("processed") == true, "\(option): \(refused ?? "accepted")")
            #expect(Self.refusal([option, "confirmed", "--solana-asset", "USDC=\(Self.mint):6"]) == nil)
        }
    }

    @Test("one ledger asset named for two mints is refused: a deposit of one would be withdrawn as the other")
    func assetNamedTwiceIsRefused() {
        let refused = Self.refusal([
            "--solana-asset", "USDC=\(Self.mint):6", "--solana-asset", "USDC=\(Self.otherMint):6",
        ])
        #expect(refused?.contains("USDC") == true, "\(refused ?? "accepted")")
        #expect(
            Self.refusal(["--solana-asset", "USDC=\(Self.mint):6", "--solana-asset", "EURC=\(Self.otherMint):6"]) == nil
        )
    }
}
