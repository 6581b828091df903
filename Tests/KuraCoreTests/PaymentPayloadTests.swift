import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `payment.settled` writes its payload and the record's signed bytes member by member
/// (``PaymentEvent/encodedPayload``, ``Payment/signedBytes()``); the `Encodable` form of the same members through
/// `JSONValueEncoder` is the reference, and decoding the payload gives the event back.
@Suite("payment.settled payloads and signed bytes, member by member, against the Encodable path")
struct PaymentPayloadTests {
    /// The members `payment.settled` has always had, encoded the generic way.
    struct SettledReference: Encodable {
        var payment: Payment
        var postings: [Posting]
    }

    static func payment(_ random: inout SplitMix64, everyMember: Bool = false) throws -> Payment {
        var wire: [String: JSONValue] = [
            "id": WireSamples.identifier("pmt", &random), "paymentId": .string(WireSamples.text(&random)),
            "payer": WireSamples.identifier("pty", &random), "payee": WireSamples.identifier("pty", &random),
            "amount": WireSamples.time(&random), "net": WireSamples.time(&random), "fee": WireSamples.time(&random),
            "asset": .string(["USDC", "EURC", "SOL"].randomElement(using: &random)!),
            "settledAt": WireSamples.time(&random), "txSignature": .string(WireSamples.text(&random)),
        ]
        if everyMember || Bool.random(using: &random) { wire["resource"] = .string(WireSamples.text(&random)) }
        return try JSONValue.object(wire).decode(Payment.self)
    }

    /// The bytes Kura signed before records wrote themselves: the canonical JSON of the record without
    /// `txSignature`.
    static func referenceSignedBytes(_ payment: Payment) throws -> [UInt8] {
        guard case .object(var members) = try JSONValue(encoding: payment) else { return [] }
        members.removeValue(forKey: "txSignature")
        return try JSONValue.object(members).canonicalBytes()
    }

    @Test("3,000 seeded payment.settled events: the same JSON value, bytes and signed bytes, the same event back")
    func seededSettledEvents() throws {
        var random = SplitMix64(seed: 2_718)
        for n in 0..<3_000 {
            let payment = try Self.payment(&random)
            let postings = try EscrowPayloadTests.postings(&random)
            let event = PaymentEvent.settled(payment, postings: postings)
            let reference = try JSONValue(encoding: SettledReference(payment: payment, postings: postings))
            let encoded = event.encodedPayload
            #expect(encoded.json == reference, "event \(n)")
            #expect(event.payload == reference, "event \(n), payload")
            #expect(encoded.canonical == (try reference.canonicalBytes()), "event \(n), bytes")
            #expect(payment.signedBytes() == (try Self.referenceSignedBytes(payment)), "event \(n), signed bytes")
            #expect(try PaymentEvent(type: event.type, payload: encoded.json) == event, "event \(n), decoded back")
        }
    }

    /// A stored property added to the record later, and left out of its writer, would be missing from every
    /// payment and from what Kura signs: with every optional member set, one member per stored property.
    @Test("a record with every member set: one member per stored property, signed and verified")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 5)
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 7, count: 32))
        let payment = try Self.payment(&random, everyMember: true).signed(with: key)
        guard case .object(let members) = PaymentEvent.settled(payment, postings: []).encodedPayload.json,
            case .object(let record) = members["payment"]
        else {
            Issue.record("not a JSON object")
            return
        }
        #expect(record.count == Mirror(reflecting: payment).children.count)
        #expect(payment.hasValidSignature(key.publicKey))
        #expect(payment.signedBytes() == (try Self.referenceSignedBytes(payment)))
    }

    /// A review finding: the member-by-member record trapped where the `Encodable` path refused (a time beyond
    /// ±2^53−1 ms). Its row and canonical JSON are refused with an error again, and its signed bytes are empty.
    @Test("a record beyond what canonical JSON holds is refused, as through Encodable, not a crash")
    func refusedLikeEncodable() throws {
        var random = SplitMix64(seed: 13)
        var payment = try Self.payment(&random)
        payment.settledAt = Timestamp(milliseconds: 1 << 60)
        #expect(throws: JSONError.self) { try JSONValue(encoding: payment) }
        #expect(throws: JSONError.self) { try JSONValue.canonicalBytes(encoding: payment) }
        #expect(throws: JSONError.self) { try payment.canonicalJSON() }
        #expect(payment.signedBytes().isEmpty)
    }
}
