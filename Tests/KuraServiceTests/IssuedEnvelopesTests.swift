import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@testable import KuraService

@Suite("IssuedEnvelopes: settle's memory of the envelopes this process signed")
struct IssuedEnvelopesTests {
    static func decision(_ n: UInt64) throws -> ReservationDecision {
        ReservationDecision(
            reservation: ReservationID(unchecked: "res_\(n + 2)"), agent: PartyID(unchecked: "pty_a"),
            counterparty: PartyID(unchecked: "pty_b"), lane: .enterprise, amount: try Amount(units: n),
            asset: try Asset("USDC"), requestHash: String(repeating: "0", count: 64),
            issuedAt: Timestamp(milliseconds: 1_700_000_000_000), expiresAt: Timestamp(milliseconds: 1_800_000_000_000))
    }

    @Test("the exact text answers its decision, which is what opening it gives; any other text is a miss")
    func hitsAndMisses() throws {
        let issued = IssuedEnvelopes()
        let decision = try Self.decision(7)
        let key = TestKeys.serviceSigner.key
        let envelope = DecisionEnvelope.sign(decision, kid: "kura+00000001", key: key)
        issued.remember(envelope, decision)
        #expect(issued.decision(envelope) == decision)
        #expect(try DecisionEnvelope.open(envelope, keys: ["kura+00000001": key.publicKey]) == decision)
        #expect(issued.decision(envelope + " ") == nil)
        #expect(issued.decision(String(envelope.dropLast()) + (envelope.hasSuffix("A") ? "B" : "A")) == nil)
        #expect(issued.decision(String(repeating: "a", count: DecisionEnvelope.maxLength + 1)) == nil)
    }

    @Test("bounded: two generations of half the capacity; the oldest generation is forgotten")
    func generations() throws {
        let issued = IssuedEnvelopes(capacity: 4)
        let decisions = try (0..<5).map { try Self.decision(UInt64($0)) }
        for (n, decision) in decisions.enumerated() { issued.remember("envelope \(n)", decision) }
        // 0 and 1 filled the first generation, 2 and 3 the second; 4 started a third and dropped the first.
        #expect(issued.decision("envelope 0") == nil)
        #expect(issued.decision("envelope 1") == nil)
        for n in 2..<5 { #expect(issued.decision("envelope \(n)") == decisions[n]) }
    }
}
