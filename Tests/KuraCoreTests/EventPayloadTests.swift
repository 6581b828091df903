import KuraCore
import KuraCrypto
import Testing

/// Events are read back from the log by type and payload; the bytes hashed into the chain must never drift.
@Suite("Event payloads")
struct EventPayloadTests {
    typealias F = EscrowFixture

    @Test("every escrow event round-trips through its payload", arguments: F.allEvents)
    func escrowRoundTrip(_ event: EscrowEvent) throws {
        #expect(try EscrowEvent(type: event.type, payload: event.payload) == event)
        let bytes = try event.payload.canonicalBytes()
        #expect(try event.payload.canonicalBytes() == bytes)
        let reread = try EscrowEvent(type: event.type, payload: JSONValue.parse(bytes))
        #expect(reread == event)
        #expect(try reread.payload.canonicalBytes() == bytes)
    }

    @Test("escrow event types are stable")
    func types() {
        #expect(
            F.allEvents.map(\.type) == [
                "escrow.locked", "escrow.delivered", "escrow.released", "escrow.disputed", "escrow.cancelled",
                "escrow.refunded", "escrow.expired",
            ])
    }

    @Test("payload bytes are pinned")
    func golden() throws {
        let held = #"{"amount":50,"asset":"USDC","from":"escrow/esc_fixture/held","to":"fees"}"#
        let net = #"{"amount":9950,"asset":"USDC","from":"escrow/esc_fixture/held","to":"party/pty_payee/available"}"#
        #expect(
            try F.released.payload.canonicalString() == #"{"at":1700000061000,"fee":50,"net":9950,"postings":["#
                + net + "," + held + #"],"reason":"confirmed"}"#)
        #expect(try F.delivered.payload.canonicalString() == #"{"at":1700000060000,"evidence":"\#(F.evidence)"}"#)
        #expect(
            try F.locked().payload.canonicalString() == #"{"escrowId":"esc_fixture","postings":[{"amount":10000,"#
                + #""asset":"USDC","from":"party/pty_payer/available","to":"escrow/esc_fixture/held"}],"terms":{"amount":10000,"#
                + #""asset":"USDC","confirmWindowMs":86400000,"deliverBy":1700003600000,"disputeWindowMs":43200000,"#
                + #""lockedAt":1700000000000,"memo":"fixture","payee":"pty_payee","payer":"pty_payer"}}"#)
        #expect(F.disputed.payload["disputeId"] == "dsp_fixture")
    }

    @Test("an unknown type is unknown_event_type; a payload of the wrong shape is invalid_request")
    func refusals() {
        let unknown = #expect(throws: KuraError.self) {
            try EscrowEvent(type: "escrow.melted", payload: F.delivered.payload)
        }
        #expect(unknown?.code == .unknownEventType)
        for (type, payload) in [
            ("escrow.released", F.delivered.payload), ("escrow.delivered", JSONValue.object(["at": "soon"])),
        ] {
            let error = #expect(throws: KuraError.self) { try EscrowEvent(type: type, payload: payload) }
            #expect(error?.code == .invalidRequest)
        }
    }

    @Test("the standard facilitator's event is a closed set too: its one kind, and nothing else")
    func x402Kinds() {
        #expect(X402Event.Kind.allCases.map(\.rawValue) == ["x402.settled"])
        let unknown = #expect(throws: KuraError.self) {
            try X402Event(type: "x402.refunded", payload: .object([:]))
        }
        #expect(unknown?.code == .unknownEventType)
    }

    @Test("party events round-trip through their payloads")
    func partyRoundTrip() throws {
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 3, count: 32))
        let party = try Party(
            id: PartyID(validating: "pty_x"), name: "X", roles: [.provider, .agent],
            publicKey: key.publicKey)
        let events: [PartyEvent] = [
            .registered(party, apiKeyHash: String(repeating: "e", count: 64)),
            .statusChanged(from: .active, to: .suspended),
        ]
        #expect(events.map(\.type) == ["party.registered", "party.status_changed"])
        for event in events {
            let bytes = try event.payload.canonicalBytes()
            #expect(try PartyEvent(type: event.type, payload: JSONValue.parse(bytes)) == event)
        }
        #expect(try events[1].payload.canonicalString() == #"{"from":"active","to":"suspended"}"#)
        #expect(throws: KuraError.self) { try PartyEvent(type: "party.melted", payload: [:]) }
    }

    @Test("the escrow wire shape round-trips in every state", arguments: Escrow.State.allCases)
    func escrowWire(_ state: Escrow.State) throws {
        let escrow = try F.escrow(in: state)
        let json = try JSONValue(encoding: escrow)
        #expect(json["state"]?.stringValue == state.rawValue)
        #expect(json["amount"] == 10_000)
        #expect(try json.decode(Escrow.self) == escrow)
    }

    @Test("the wire shape of a released escrow has exactly the documented fields")
    func releasedWireFields() throws {
        let json = try JSONValue(encoding: F.escrow(in: .released))
        #expect(
            Set(json.objectValue!.keys) == [
                "id", "state", "payer", "payee", "amount", "asset", "deliverBy", "confirmWindowMs", "disputeWindowMs",
                "memo", "lockedAt", "deliveredAt", "evidence", "releasedAt", "fee", "closedAt",
            ])
    }
}
