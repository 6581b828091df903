import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// The facilitators' answers write their own canonical JSON (the reservation settle's is held to its form in
/// `ReservationPayloadTests`) (every verify and settle answers with it, and the
/// writer records it for an idempotency key); the `Encodable` form through a `JSONValue` is the reference.
@Suite("facilitator answers' canonical JSON, member by member, against the Encodable path")
struct FacilitatorResponseCanonicalTests {
    static func amount(_ random: inout SplitMix64) throws -> Amount {
        try Amount(units: UInt64.random(in: 0...(1 << 53) - 1, using: &random))
    }

    static func time(_ random: inout SplitMix64) -> Timestamp {
        Timestamp(milliseconds: Int64.random(in: -(1 << 53) + 1...(1 << 53) - 1, using: &random))
    }

    static func verifyResponse(_ random: inout SplitMix64) throws -> ReservationVerifyResponse {
        ReservationVerifyResponse(
            reservationId: ReservationID(unchecked: WireSamples.identifier("rsv", &random).stringValue!),
            envelope: WireSamples.text(&random), approvedAmount: try amount(&random), expiresAt: time(&random),
            lane: Lane.allCases.randomElement(using: &random)!)
    }

    @Test("3,000 seeded verify answers: the same bytes as through Encodable")
    func seededAnswers() throws {
        var random = SplitMix64(seed: 5_000)
        for n in 0..<3_000 {
            let verify = try Self.verifyResponse(&random)
            #expect(try verify.canonicalJSON() == JSONValue(encoding: verify).canonicalBytes(), "verify \(n)")
        }
    }

    /// A stored property added later and left out of `canonicalJSON()` would be missing from every answer.
    @Test("one member per stored property")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 6)
        let verify = try Self.verifyResponse(&random)
        let members = try JSONValue.parse(verify.canonicalJSON()).objectValue?.count
        #expect(members == Mirror(reflecting: verify).children.count)
    }

    @Test("an x402 settle answer writes the bytes of its Encodable form, alone and inside its record")
    func x402SettleAnswers() throws {
        var random = SplitMix64(seed: 4_020)
        for n in 0..<3_000 {
            let response = try X402PayloadTests.settlement(&random).response
            #expect(try response.canonicalJSON() == JSONValue(encoding: response).canonicalBytes(), "answer \(n)")
        }
    }
}
