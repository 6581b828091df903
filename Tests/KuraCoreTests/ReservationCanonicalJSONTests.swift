import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `Reservation.canonicalJSON()` and `ReservationDecision.canonicalJSON()` write member by member; their
/// `Encodable` form through a `JSONValue` is the reference. Reservations come from their wire form, decoded.
@Suite("reservation and decision canonical JSON, member by member, against the Encodable path")
struct ReservationCanonicalJSONTests {
    static func reservation(_ random: inout SplitMix64, everyMember: Bool = false) throws -> Reservation {
        var wire: [String: JSONValue] = [
            "id": WireSamples.identifier("res", &random), "agent": WireSamples.identifier("pty", &random),
            "counterparty": WireSamples.identifier("pty", &random),
            "state": .string(Reservation.State.allCases.randomElement(using: &random)!.rawValue),
            "lane": .string(Lane.allCases.randomElement(using: &random)!.rawValue), "amount": WireSamples.time(&random),
            "asset": "USDC", "requestHash": .string(WireSamples.text(&random)),
            "issuedAt": WireSamples.time(&random), "expiresAt": WireSamples.time(&random),
        ]
        if everyMember || Bool.random(using: &random) { wire["mandateId"] = WireSamples.identifier("mdt", &random) }
        if everyMember || Bool.random(using: &random) { wire["positionId"] = WireSamples.identifier("pos", &random) }
        for key in ["resource", "paymentId", "txSignature"] where everyMember || Bool.random(using: &random) {
            wire[key] = .string(WireSamples.text(&random))
        }
        for key in ["settledAt", "fee", "voidedAt"] where everyMember || Bool.random(using: &random) {
            wire[key] = WireSamples.time(&random)
        }
        if everyMember || Bool.random(using: &random) {
            wire["voidReason"] = .string(Reservation.VoidReason.allCases.randomElement(using: &random)!.rawValue)
        }
        return try JSONValue.object(wire).decode(Reservation.self)
    }

    @Test("3,000 seeded reservations and their decisions, every optional member present and absent: the same bytes")
    func seededReservations() throws {
        var random = SplitMix64(seed: 31_415)
        for n in 0..<3_000 {
            let reservation = try Self.reservation(&random)
            let expected = try JSONValue(encoding: reservation).canonicalBytes()
            #expect(try reservation.canonicalJSON() == expected, "reservation \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: reservation) == expected, "reservation \(n), protocol")
            let decision = reservation.decision
            #expect(try decision.canonicalJSON() == JSONValue(encoding: decision).canonicalBytes(), "decision \(n)")
        }
    }

    /// A stored property added later, and left out of `canonicalJSON()`, would be missing from every row (and a
    /// decision's from every envelope): with every member set, one member per stored property.
    @Test("every member set: one member per stored property, the same bytes")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 27)
        let reservation = try Self.reservation(&random, everyMember: true)
        let decision = reservation.decision
        guard case .object(let members) = try JSONValue(encoding: reservation),
            case .object(let decisionMembers) = try JSONValue(encoding: decision)
        else {
            Issue.record("not JSON objects")
            return
        }
        #expect(members.count == Mirror(reflecting: reservation).children.count)
        #expect(decisionMembers.count == Mirror(reflecting: decision).children.count)
        #expect(try reservation.canonicalJSON() == JSONValue(encoding: reservation).canonicalBytes())
        #expect(try decision.canonicalJSON() == JSONValue(encoding: decision).canonicalBytes())
    }
}
