import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// The busiest routes' requests read themselves from their members (`Requests+Reading.swift`); `Decodable` through
/// `JSONValueDecoder` is the reference (``JSONReadingCheck``).
@Suite("requests read member by member, against Decodable")
struct RequestReadingTests {
    static func maybe<T>(_ random: inout SplitMix64, _ value: (inout SplitMix64) -> T) -> T? {
        Bool.random(using: &random) ? value(&random) : nil
    }

    static func id<ID: KuraIdentifier>(_ random: inout SplitMix64) -> ID {
        ID(unchecked: WireSamples.identifier(ID.prefix, &random).stringValue!)
    }

    static func amount(_ random: inout SplitMix64) throws -> Amount {
        try Amount(
            units: [0, 1, Amount.maxUnits, .random(in: 0...Amount.maxUnits, using: &random)].randomElement(
                using: &random)!)
    }

    static func milliseconds(_ random: inout SplitMix64) -> Int64 {
        Int64(WireSamples.time(&random).doubleValue!) * (Bool.random(using: &random) ? 1 : -1)
    }

    @Test("2,000 seeded requests of each kind, as written and with members mutated: what Decodable reads")
    func seededRequests() throws {
        var random = SplitMix64(seed: 0x7265_7175)
        var check = JSONReadingCheck()
        for _ in 0..<2_000 {
            let escrow = OpenEscrowRequest(
                payee: Self.id(&random), amount: try Self.amount(&random),
                asset: try Asset(["USDC", "EURC", "So1:mint-x.y"].randomElement(using: &random)!),
                deliverBy: Timestamp(milliseconds: Self.milliseconds(&random)),
                confirmWindowMs: Self.maybe(&random) { Self.milliseconds(&$0) },
                disputeWindowMs: Self.maybe(&random) { Self.milliseconds(&$0) },
                resource: Self.maybe(&random) { WireSamples.text(&$0) },
                paymentId: Self.maybe(&random) { WireSamples.text(&$0) },
                memo: Self.maybe(&random) { WireSamples.text(&$0) })
            try check.check(escrow, &random)
            let verify = ReservationVerifyRequest(
                amount: try Self.amount(&random), asset: Bool.random(using: &random) ? try Asset("USDC") : nil,
                lane: Lane.allCases.randomElement(using: &random)!, mandate: Self.maybe(&random) { Self.id(&$0) },
                collateral: Self.maybe(&random) { Self.id(&$0) }, agent: Self.id(&random),
                counterparty: Self.id(&random), resource: Self.maybe(&random) { WireSamples.text(&$0) },
                paymentId: Self.maybe(&random) { WireSamples.text(&$0) })
            try check.check(verify, &random)
            let settle = ReservationSettleRequest(
                reservationId: Self.id(&random), envelope: WireSamples.text(&random),
                lane: Self.maybe(&random) { Lane.allCases.randomElement(using: &$0)! })
            try check.check(settle, &random)
        }
        let mismatches = check.mismatches.count
        #expect(mismatches == 0, "\(check.mismatches.prefix(3))")
        #expect(check.read > 5_000 && check.refused > 5_000, "\(check.read) read, \(check.refused) refused")
        #expect(check.leftToDecodable * 100 < check.read, "\(check.leftToDecodable) left to Decodable")
    }

    @Test("a refusal is worded as before: the reader gives up and Decodable refuses")
    func refusalsUnchanged() throws {
        let body: JSONValue = [
            "payee": "pty_abc", "amount": 10, "asset": "USDC", "deliverBy": 1, "confirmWindowMs": "60000",
        ]
        #expect(throws: KuraError.self) { try OpenEscrowRequest.decode(body) }
        do {
            _ = try OpenEscrowRequest.decode(body)
        } catch {
            #expect(error.code == .invalidRequest && error.detail.contains("confirmWindowMs"), "\(error.detail)")
        }
    }
}
