import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `reservation.reserved` and `reservation.settled` build their payloads member by member
/// (``ReservationEvent/encodedPayload``), and the settlement record writes its own canonical bytes; the `Encodable`
/// form of the same members through `JSONValueEncoder` is the reference, and decoding gives the event back.
@Suite("reservation payloads and settlement records, member by member, against the Encodable path")
struct ReservationPayloadTests {
    /// The members the two events have always had, encoded the generic way.
    struct ReservedReference: Encodable {
        var reservation: Reservation
        var postings: [Posting]
    }

    struct SettledReference: Encodable {
        var record: SettlementRecord
        var txSignature: String
        var postings: [Posting]
    }

    static func record(_ random: inout SplitMix64, everyMember: Bool = false) throws -> SettlementRecord {
        var wire: [String: JSONValue] = [
            "v": .number(Double(Int.random(in: 0...3, using: &random))), "rail": .string(WireSamples.text(&random)),
            "subject": .string(WireSamples.text(&random)), "payer": WireSamples.identifier("pty", &random),
            "payee": WireSamples.identifier("pty", &random), "amount": WireSamples.time(&random),
            "fee": WireSamples.time(&random), "net": WireSamples.time(&random), "asset": "USDC",
            "settledAt": WireSamples.time(&random),
        ]
        if everyMember || Bool.random(using: &random) {
            wire["lane"] = .string(Lane.allCases.randomElement(using: &random)!.rawValue)
        }
        return try JSONValue.object(wire).decode(SettlementRecord.self)
    }

    @Test("3,000 seeded reserved and settled events: the same JSON value, the same bytes, the same event back")
    func seededEvents() throws {
        var random = SplitMix64(seed: 4_669)
        for n in 0..<3_000 {
            let postings = try EscrowPayloadTests.postings(&random)
            let event: ReservationEvent
            let reference: JSONValue
            if Bool.random(using: &random) {
                let reservation = try ReservationCanonicalJSONTests.reservation(&random)
                event = .reserved(reservation, postings: postings)
                reference = try JSONValue(encoding: ReservedReference(reservation: reservation, postings: postings))
            } else {
                let record = try Self.record(&random)
                let signature = WireSamples.text(&random)
                event = .settled(record: record, txSignature: signature, postings: postings)
                reference = try JSONValue(
                    encoding: SettledReference(record: record, txSignature: signature, postings: postings))
            }
            let encoded = event.encodedPayload
            #expect(encoded.json == reference, "event \(n)")
            #expect(event.payload == reference, "event \(n), payload")
            #expect(encoded.canonical == (try reference.canonicalBytes()), "event \(n), bytes")
            #expect(try ReservationEvent(type: event.type, payload: encoded.json) == event, "event \(n), decoded back")
        }
    }

    @Test("3,000 seeded settlement records: the bytes the ledger rail signs are the Encodable form's")
    func seededRecords() throws {
        var random = SplitMix64(seed: 1_414)
        for n in 0..<3_000 {
            let record = try Self.record(&random)
            let expected = try JSONValue(encoding: record).canonicalBytes()
            #expect(record.canonicalBytes() == expected, "record \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: record) == expected, "record \(n), through the protocol")
        }
    }

    /// A stored property added to the record later, and left out of its writer, would be missing from every
    /// signed record: with every optional member set, the `Encodable` form has one member per stored property.
    @Test("a settlement record with every member set: one member per stored property")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 5)
        let record = try Self.record(&random, everyMember: true)
        guard case .object(let members) = try JSONValue(encoding: record) else {
            Issue.record("a settlement record is not a JSON object")
            return
        }
        #expect(members.count == Mirror(reflecting: record).children.count)
        #expect(record.canonicalBytes() == (try JSONValue(encoding: record).canonicalBytes()))
    }

    @Test("3,000 seeded settle answers, stored for idempotent replays: the Encodable form's bytes")
    func seededSettleResponses() throws {
        var random = SplitMix64(seed: 2_236)
        for n in 0..<3_000 {
            let answer = try JSONValue.object([
                "txSignature": .string(WireSamples.text(&random)),
                "billableEventId": WireSamples.identifier("evt", &random), "settledAt": WireSamples.time(&random),
                "amount": WireSamples.time(&random),
                "lane": .string(Lane.allCases.randomElement(using: &random)!.rawValue),
                "idempotent": .bool(Bool.random(using: &random)),
            ]).decode(ReservationSettleResponse.self)
            let expected = try JSONValue(encoding: answer).canonicalBytes()
            #expect(try answer.canonicalJSON() == expected, "answer \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: answer) == expected, "answer \(n), through the protocol")
            if n == 0, case .object(let members) = try JSONValue(encoding: answer) {
                #expect(members.count == Mirror(reflecting: answer).children.count)
            }
        }
    }

    @Test("3,000 seeded verify and settle requests, optional members present and absent: the Encodable form's bytes")
    func seededRequests() throws {
        var random = SplitMix64(seed: 5_077)
        for n in 0..<3_000 {
            var verify: [String: JSONValue] = [
                "amount": WireSamples.time(&random),
                "lane": .string(Lane.allCases.randomElement(using: &random)!.rawValue),
                "agent": WireSamples.identifier("pty", &random), "counterparty": WireSamples.identifier("pty", &random),
            ]
            var settle: [String: JSONValue] = [
                "reservationId": WireSamples.identifier("res", &random), "envelope": .string(WireSamples.text(&random)),
            ]
            if n == 0 || Bool.random(using: &random) { verify["asset"] = "USDC" }
            if n == 0 || Bool.random(using: &random) { verify["mandate"] = WireSamples.identifier("mdt", &random) }
            if n == 0 || Bool.random(using: &random) { verify["collateral"] = WireSamples.identifier("pos", &random) }
            for key in ["resource", "paymentId"] where n == 0 || Bool.random(using: &random) {
                verify[key] = .string(WireSamples.text(&random))
            }
            if n == 0 || Bool.random(using: &random) {
                settle["lane"] = .string(Lane.allCases.randomElement(using: &random)!.rawValue)
            }
            let verifyRequest = try ReservationVerifyRequest.decode(.object(verify))
            let settleRequest = try ReservationSettleRequest.decode(.object(settle))
            #expect(try verifyRequest.canonicalJSON() == JSONValue(encoding: verifyRequest).canonicalBytes(), "\(n)")
            #expect(try settleRequest.canonicalJSON() == JSONValue(encoding: settleRequest).canonicalBytes(), "\(n)")
            #expect(try JSONValue.canonicalBytes(encoding: verifyRequest) == verifyRequest.canonicalJSON())
            #expect(try JSONValue.canonicalBytes(encoding: settleRequest) == settleRequest.canonicalJSON())
            if n == 0 {  // every member set: one per stored property
                let verifyMembers = try #require(try JSONValue(encoding: verifyRequest).objectValue)
                let settleMembers = try #require(try JSONValue(encoding: settleRequest).objectValue)
                #expect(verifyMembers.count == Mirror(reflecting: verifyRequest).children.count)
                #expect(settleMembers.count == Mirror(reflecting: settleRequest).children.count)
            }
        }
    }

    @Test("reservation.voided leaves its bytes to the writer")
    func voided() {
        let event = ReservationEvent.voided(reason: .expired, at: Timestamp(milliseconds: 9), postings: [])
        #expect(event.encodedPayload.canonical == nil)
        #expect(event.encodedPayload.json == event.payload)
    }
}
