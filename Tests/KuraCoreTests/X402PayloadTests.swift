import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// `x402.settled` writes its record member by member (``X402Event/encodedPayload``, and the settlement row through
/// `RowJSON`'s path, `JSONValue.canonicalBytes(encoding:)`); the `Encodable` form through `JSONValueEncoder` is the
/// reference, and decoding the payload gives the event back.
@Suite("x402.settled payloads, member by member, against the Encodable path")
struct X402PayloadTests {
    static func settlement(_ random: inout SplitMix64, everyMember: Bool = false) throws -> X402Settlement {
        func maybe() -> Bool { everyMember || Bool.random(using: &random) }
        let succeeded = Bool.random(using: &random) || everyMember
        var response: [String: JSONValue] = [
            "success": .bool(succeeded),
            "network": .string(["kura:cf36394f", "kura:00ff00ff"].randomElement(using: &random)!),
            "transaction": .string(succeeded ? WireSamples.identifier("pmt", &random).stringValue! : ""),
        ]
        if maybe() { response["payer"] = WireSamples.identifier("pty", &random) }
        if maybe() { response["amount"] = .string(String(UInt64.random(in: 0...(1 << 53) - 1, using: &random))) }
        if !succeeded || everyMember { response["errorReason"] = .string("insufficient_funds") }
        if maybe() { response["errorMessage"] = .string(WireSamples.text(&random)) }
        if maybe() {
            response["extensions"] = .object([
                "kura": .object([
                    "paymentId": .string(WireSamples.text(&random)),
                    "payment": WireSamples.identifier("pmt", &random),
                ])
            ])
        }
        var wire: [String: JSONValue] = [
            "scheme": .string(["exact", "escrow"].randomElement(using: &random)!),
            "payer": WireSamples.identifier("pty", &random), "nonce": .string(WireSamples.text(&random)),
            "authorizationHash": .string(WireSamples.text(&random)), "payloadHash": .string(WireSamples.text(&random)),
            "subject": WireSamples.identifier("pmt", &random), "response": .object(response),
        ]
        if maybe() { wire["paymentIdentifier"] = .string(WireSamples.text(&random)) }
        return try JSONValue.object(wire).decode(X402Settlement.self)
    }

    @Test("3,000 seeded x402.settled events: the same JSON value, the same bytes, the same event back")
    func seededSettledEvents() throws {
        var random = SplitMix64(seed: 402)
        for n in 0..<3_000 {
            let settlement = try Self.settlement(&random)
            let event = X402Event.settled(settlement)
            let reference = try JSONValue(encoding: settlement)
            let encoded = event.encodedPayload
            #expect(encoded.json == reference, "event \(n)")
            #expect(event.payload == reference, "event \(n), payload")
            #expect(encoded.canonical == (try reference.canonicalBytes()), "event \(n), bytes")
            #expect(try JSONValue.canonicalBytes(encoding: settlement) == encoded.canonical, "event \(n), row")
            #expect(try X402Event(type: event.type, payload: encoded.json) == event, "event \(n), decoded back")
        }
    }

    /// A stored property added to the record or the answer later, and left out of their writers, would be missing
    /// from every settlement: with every optional member set, one member per stored property.
    @Test("a record and an answer with every member set: one member per stored property")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 11)
        let settlement = try Self.settlement(&random, everyMember: true)
        guard case .object(let record) = X402Event.settled(settlement).encodedPayload.json,
            case .object(let response) = record["response"]
        else {
            Issue.record("not a JSON object")
            return
        }
        #expect(record.count == Mirror(reflecting: settlement).children.count)
        #expect(response.count == Mirror(reflecting: settlement.response).children.count)
    }

    /// A review finding: an answer whose open `extensions` held a number canonical JSON cannot hold trapped in the
    /// member-by-member writer. It is handed over as the `Encodable` path's payload without canonical bytes, as
    /// before, for the log to refuse when it canonicalises it; its row is an error.
    @Test("a record with a number canonical JSON cannot hold is refused, as through Encodable, not a crash")
    func refusedLikeEncodable() throws {
        var random = SplitMix64(seed: 17)
        var settlement = try Self.settlement(&random)
        settlement.response.extensions = ["kura": .object(["n": .number(.nan)])]
        let event = X402Event.settled(settlement)
        #expect(event.encodedPayload.json == event.payload && event.encodedPayload.canonical == nil)
        #expect(throws: JSONError.self) { try event.payload.canonicalBytes() }
        #expect(throws: JSONError.self) { try JSONValue.canonicalBytes(encoding: settlement) }
    }
}
