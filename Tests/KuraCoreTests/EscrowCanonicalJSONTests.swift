import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `Escrow.canonicalJSON()` writes the escrow member by member; its `Encodable` form through a `JSONValue` is the
/// reference. Escrows come from their wire form (every optional member present or absent), decoded.
@Suite("escrow canonical JSON, member by member, against the Encodable path")
struct EscrowCanonicalJSONTests {
    static func escrow(_ random: inout SplitMix64, everyMember: Bool = false) throws -> Escrow {
        func text(_ random: inout SplitMix64) -> JSONValue { .string(ReceiptLeafBytesTests.text(&random)) }
        func time(_ random: inout SplitMix64) -> JSONValue {
            .number(Double(Int64.random(in: 0...(1 << 53) - 1, using: &random)))
        }
        func identifier(_ prefix: String, _ random: inout SplitMix64) -> JSONValue {
            let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
            let length = Int.random(in: 2...22, using: &random)
            return .string(prefix + "_" + String((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
        }
        var wire: [String: JSONValue] = [
            "id": identifier("esc", &random),
            "state": .string(Escrow.State.allCases.randomElement(using: &random)!.rawValue),
            "payer": .string("pty_a"), "payee": identifier("pty", &random),
            "amount": time(&random), "asset": "USDC", "deliverBy": time(&random), "confirmWindowMs": time(&random),
            "disputeWindowMs": time(&random), "lockedAt": time(&random),
        ]
        for key in ["resource", "paymentId", "memo", "evidence"] where everyMember || Bool.random(using: &random) {
            wire[key] = text(&random)
        }
        for key in ["deliveredAt", "releasedAt", "fee", "closedAt"] where everyMember || Bool.random(using: &random) {
            wire[key] = time(&random)
        }
        if everyMember || Bool.random(using: &random) { wire["disputeId"] = identifier("dsp", &random) }
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
