import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `Escrow.canonicalJSON()` writes the escrow member by member; its `Encodable` form through a `JSONValue` is the
/// reference. Escrows come from their wire form (every optional member present or absent), decoded.
@Suite("escrow canonical JSON, member by member, against the Encodable path")
struct EscrowCanonicalJSONTests {
    static func escrow(_ random: inout SplitMix64, everyMember: Bool = false) throws -> Escrow {
        var wire: [String: JSONValue] = [
            "id": WireSamples.identifier("esc", &random),
            "state": .string(Escrow.State.allCases.randomElement(using: &random)!.rawValue),
            "payer": .string("pty_a"), "payee": WireSamples.identifier("pty", &random),
            "amount": WireSamples.time(&random), "asset": "USDC", "deliverBy": WireSamples.time(&random),
            "confirmWindowMs": WireSamples.time(&random),
            "disputeWindowMs": WireSamples.time(&random), "lockedAt": WireSamples.time(&random),
        ]
        for key in ["resource", "paymentId", "memo", "evidence"] where everyMember || Bool.random(using: &random) {
            wire[key] = .string(WireSamples.text(&random))
        }
        for key in ["deliveredAt", "releasedAt", "fee", "closedAt"] where everyMember || Bool.random(using: &random) {
            wire[key] = WireSamples.time(&random)
        }
        if everyMember || Bool.random(using: &random) { wire["disputeId"] = WireSamples.identifier("dsp", &random) }
        return try JSONValue.object(wire).decode(Escrow.self)
    }

    @Test("3,000 seeded escrows, every optional member present and absent: the same bytes")
    func seededEscrows() throws {
        var random = SplitMix64(seed: 2_718)
        for n in 0..<3_000 {
            let escrow = try Self.escrow(&random)
            let expected = try JSONValue(encoding: escrow).canonicalBytes()
            #expect(try escrow.canonicalJSON() == expected, "escrow \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: escrow) == expected, "escrow \(n), through the protocol")
        }
    }

    /// A stored property added later, and left out of `canonicalJSON()`, would be missing from every row and answer:
    /// with every optional member set, the `Encodable` form has one member per stored property (the terms' flattened
    /// in), and so does the escrow's own writer.
    @Test("an escrow with every member set: one member per stored property, the same bytes")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 12)
        let escrow = try Self.escrow(&random, everyMember: true)
        guard case .object(let members) = try JSONValue(encoding: escrow) else {
            Issue.record("an escrow is not a JSON object")
            return
        }
        let stored = Mirror(reflecting: escrow).children.count - 1 + Mirror(reflecting: escrow.terms).children.count
        #expect(members.count == stored)
        #expect(try escrow.canonicalJSON() == JSONValue(encoding: escrow).canonicalBytes())
    }
}
