import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `escrow.locked` builds its payload member by member (``EscrowEvent/encodedPayload``); the `Encodable` form of
/// the same members through `JSONValueEncoder` is the reference, and decoding the payload gives the event back.
@Suite("escrow.locked payloads, member by member, against the Encodable path")
struct EscrowPayloadTests {
    /// The members `escrow.locked` has always had, encoded the generic way.
    struct LockedReference: Encodable {
        var escrowId: EscrowID
        var terms: EscrowTerms
        var postings: [Posting]
    }

    static func terms(_ random: inout SplitMix64, everyMember: Bool = false) throws -> EscrowTerms {
        var wire: [String: JSONValue] = [
            "payer": WireSamples.identifier("pty", &random), "payee": WireSamples.identifier("pty", &random),
            "amount": WireSamples.time(&random),
            "asset": .string(["USDC", "EURC", "SOL"].randomElement(using: &random)!),
            "deliverBy": WireSamples.time(&random), "confirmWindowMs": WireSamples.time(&random),
            "disputeWindowMs": WireSamples.time(&random), "lockedAt": WireSamples.time(&random),
        ]
        for key in ["resource", "paymentId", "memo"] where everyMember || Bool.random(using: &random) {
            wire[key] = .string(WireSamples.text(&random))
        }
        return try JSONValue.object(wire).decode(EscrowTerms.self)
    }

    static func postings(_ random: inout SplitMix64) throws -> [Posting] {
        func account() -> JSONValue {
            let party = WireSamples.identifier("pty", &random).stringValue!
            let escrow = WireSamples.identifier("esc", &random).stringValue!
            return .string(
                ["party/\(party)/available", "escrow/\(escrow)/held", "fees", "external"].randomElement(using: &random)!
            )
        }
        return try (0..<Int.random(in: 0...3, using: &random)).map { _ in
            try JSONValue.object([
                "from": account(), "to": account(), "asset": "USDC", "amount": WireSamples.time(&random),
            ]).decode(Posting.self)
        }
    }

    @Test("3,000 seeded escrow.locked events: the same JSON value, the same bytes, the same event back")
    func seededLockedEvents() throws {
        var random = SplitMix64(seed: 1_618)
        for n in 0..<3_000 {
            let id = EscrowID(unchecked: WireSamples.identifier("esc", &random).stringValue!)
            let event = EscrowEvent.locked(id: id, terms: try Self.terms(&random), postings: try Self.postings(&random))
            guard case .locked(_, let terms, let postings) = event else { return }
            let reference = try JSONValue(encoding: LockedReference(escrowId: id, terms: terms, postings: postings))
            let encoded = event.encodedPayload
            #expect(encoded.json == reference, "event \(n)")
            #expect(event.payload == reference, "event \(n), payload")
            #expect(encoded.canonical == (try reference.canonicalBytes()), "event \(n), bytes")
            #expect(try EscrowEvent(type: event.type, payload: encoded.json) == event, "event \(n), decoded back")
        }
    }

    /// A stored property added to the terms or a posting later, and left out of the writers, would be missing from
    /// every lock: with every optional member set, the `Encodable` form has one member per stored property.
    @Test("terms and postings with every member set: one member per stored property")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 3)
        let terms = try Self.terms(&random, everyMember: true)
        let posting = Posting.deposit(to: PartyID(unchecked: "pty_a"), asset: try Asset("USDC"), amount: .zero)
        for (value, count) in [
            (try JSONValue(encoding: terms), Mirror(reflecting: terms).children.count),
            (try JSONValue(encoding: posting), Mirror(reflecting: posting).children.count),
        ] {
            guard case .object(let members) = value else {
                Issue.record("not a JSON object")
                continue
            }
            #expect(members.count == count)
        }
        let event = EscrowEvent.locked(id: EscrowID(unchecked: "esc_a"), terms: terms, postings: [posting])
        #expect(
            event.encodedPayload.canonical
                == (try JSONValue(
                    encoding: LockedReference(escrowId: EscrowID(unchecked: "esc_a"), terms: terms, postings: [posting])
                ).canonicalBytes()))
    }

    @Test("the other escrow events leave their bytes to the writer")
    func otherKinds() {
        let event = EscrowEvent.delivered(evidence: "done", at: Timestamp(milliseconds: 5))
        #expect(event.encodedPayload.canonical == nil)
        #expect(event.encodedPayload.json == event.payload)
    }
}
