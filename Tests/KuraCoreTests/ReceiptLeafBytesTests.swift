import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `Receipt.leafBytes()` writes its canonical JSON member by member; the `Encodable` form through a `JSONValue`
/// (`JSONValue(encoding:).canonicalBytes()`, which never asks the value to write itself, and which sees every
/// stored property) is the reference.
@Suite("receipt leaf bytes, member by member, against the Encodable path")
struct ReceiptLeafBytesTests {
    static func integer(_ random: inout SplitMix64) -> Int64 {
        [
            0, 1, -1, 999, Int64.random(in: -1_000_000...1_000_000_000_000, using: &random), (1 << 53) - 1,
            -(1 << 53) + 1,
        ]
        .randomElement(using: &random)!
    }

    static func receipt(_ random: inout SplitMix64) throws -> Receipt {
        func maybe<T>(_ make: () throws -> T) rethrows -> T? { Bool.random(using: &random) ? try make() : nil }
        let limit: UInt64 = (1 << 53) - 1
        func units() -> UInt64 {
            [0, 1, 2_500, limit, UInt64.random(in: 0...limit, using: &random)].randomElement(using: &random)!
        }
        return Receipt(
            index: units(), eventSeq: units(), eventHash: WireSamples.text(&random), kind: WireSamples.text(&random),
            subject: WireSamples.text(&random), payer: PartyID(unchecked: "pty_" + WireSamples.text(&random)),
            payee: PartyID(unchecked: "pty_" + WireSamples.text(&random)), amount: try Amount(units: units()),
            asset: try Asset(
                ["USDC", "EURC", "So11111111111111111111111111111111111111112"].randomElement(using: &random)!),
            outcome: WireSamples.text(&random), at: Timestamp(milliseconds: integer(&random)),
            deliveryLatencyMs: maybe { integer(&random) }, onTime: maybe { Bool.random(using: &random) },
            disputed: Bool.random(using: &random), fee: try maybe { try Amount(units: units()) },
            disputeId: maybe { DisputeID(unchecked: "dsp_" + WireSamples.text(&random)) },
            round: maybe { Int(integer(&random)) }, refundBps: maybe { Int.random(in: 0...10_000, using: &random) },
            refund: try maybe { try Amount(units: units()) }, txSignature: maybe { WireSamples.text(&random) })
    }

    @Test("5,000 seeded receipts, every optional member present and absent: the same bytes")
    func seededReceipts() throws {
        var random = SplitMix64(seed: 1_536)
        for n in 0..<5_000 {
            let receipt = try Self.receipt(&random)
            let expected = try JSONValue(encoding: receipt).canonicalBytes()
            #expect(try receipt.leafBytes() == expected, "receipt \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: receipt) == expected, "receipt \(n), through the protocol")
        }
    }

    /// A stored property added later, and left out of `canonicalJSON()`, would be missing from every leaf: with
    /// every optional member set, the `Encodable` form has one member per stored property, and so do the leaf bytes.
    @Test("a receipt with every member set: one member per stored property, the same bytes")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 11)
        var receipt = try Self.receipt(&random)
        receipt.deliveryLatencyMs = 1
        receipt.onTime = true
        receipt.fee = try Amount(units: 2)
        receipt.disputeId = DisputeID(unchecked: "dsp_x")
        receipt.round = 1
        receipt.refundBps = 5_000
        receipt.refund = try Amount(units: 3)
        receipt.txSignature = "sig"
        guard case .object(let members) = try JSONValue(encoding: receipt) else {
            Issue.record("a receipt is not a JSON object")
            return
        }
        #expect(members.count == Mirror(reflecting: receipt).children.count)
        #expect(try receipt.leafBytes() == JSONValue(encoding: receipt).canonicalBytes())
    }

    @Test("an integer beyond ±2^53−1 is refused by both paths")
    func integersBeyondTheExactRange() throws {
        var random = SplitMix64(seed: 7)
        var receipt = try Self.receipt(&random)
        for bad in [Int64(1) << 53, -(Int64(1) << 53), .max, .min] {
            receipt.deliveryLatencyMs = bad
            #expect(throws: KuraError.self) { try receipt.leafBytes() }
            #expect(throws: (any Error).self) { try JSONValue(encoding: receipt).canonicalBytes() }
        }
        receipt.deliveryLatencyMs = nil
        receipt.eventSeq = 1 << 53
        #expect(throws: KuraError.self) { try receipt.leafBytes() }
        #expect(throws: (any Error).self) { try JSONValue(encoding: receipt).canonicalBytes() }
    }
}
