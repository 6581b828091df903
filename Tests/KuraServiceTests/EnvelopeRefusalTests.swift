import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

@Suite("Facilitator: settle refuses bad envelopes with distinct codes")
struct EnvelopeRefusalTests {
    /// Replaces the payload of an envelope and signs it with `key` under `kid`.
    static func resign(_ decision: ReservationDecision, kid: String, key: Ed25519.SecretKey) -> String {
        DecisionEnvelope.sign(decision, kid: kid, key: key)
    }

    @Test("tampered, re-signed, unknown-key, cross-lane, other-reservation and missing-reservation envelopes")
    func refusals() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate()
        let verified = try await world.verify(mandate.id, amount: 2_000)
        let other = try await world.verify(mandate.id, amount: 3_000)
        let decision = try DecisionEnvelope.open(verified.envelope, keys: world.service.envelopeKeys)
        let kid = world.service.envelopeKeyID
        let head = try await world.service.store.head()

        func code(_ envelope: String, reservation: ReservationID? = nil, lane: Lane? = nil) async -> String? {
            await refusal {
                try await world.service.settle(
                    ReservationSettleRequest(
                        reservationId: reservation ?? verified.reservationId, envelope: envelope, lane: lane),
                    by: world.principal(world.provider), idempotencyKey: nil)
            }?.code.rawValue
        }

        // Tampered: the amount in the payload raised, the signature left as it was.
        var parts = verified.envelope.split(separator: ".").map(String.init)
        var raised = decision
        raised.amount = try Amount(units: 2_000_000)
        parts[1] = Base64.urlEncode(try JSONValue(encoding: raised).canonicalBytes())
        #expect(await code(parts.joined(separator: ".")) == "envelope_invalid")
        // Re-signed with another key under Kura's kid.
        #expect(await code(Self.resign(raised, kid: kid, key: TestKeys.secretKey("mallory"))) == "envelope_invalid")
        // Signed by a key Kura does not know.
        #expect(
            await code(Self.resign(decision, kid: "mallory+00000000", key: TestKeys.secretKey("mallory")))
                == "unknown_key")
        // Not a JWS at all, or with another algorithm.
        #expect(await code("not.a.jws.at.all") == "envelope_invalid")
        let none = Base64.urlEncode(Array(#"{"alg":"none","kid":"x"}"#.utf8)) + "." + parts[1] + "."
        #expect(await code(none) == "envelope_invalid")
        // Cross-lane: validly signed by Kura, but the decision says crypto-fast.
        var crossLane = decision
        crossLane.lane = .cryptoFast
        let crossEnvelope = Self.resign(crossLane, kid: kid, key: TestKeys.serviceSigner.key)
        #expect(await code(crossEnvelope) == "lane_mismatch")
        // The caller expects the other lane.
        #expect(await code(verified.envelope, lane: .cryptoFast) == "lane_mismatch")
        // Validly signed, but for another reservation, or with another amount.
        #expect(await code(other.envelope) == "envelope_mismatch")
        #expect(await code(Self.resign(raised, kid: kid, key: TestKeys.serviceSigner.key)) == "envelope_mismatch")
        // For a reservation that does not exist.
        var missing = decision
        missing.reservation = try ReservationID(validating: "res_1111")
        #expect(
            await code(
                Self.resign(missing, kid: kid, key: TestKeys.serviceSigner.key), reservation: missing.reservation)
                == "reservation_not_found")
        // A stranger with the right envelope.
        let stranger = await refusal {
            try await world.service.settle(
                ReservationSettleRequest(reservationId: verified.reservationId, envelope: verified.envelope),
                by: world.principal(world.stranger), idempotencyKey: nil)
        }
        #expect(stranger?.code == .forbidden)
        #expect(try await world.service.store.head() == head)
        // And the real one still settles.
        #expect(try await world.settle(verified).idempotent == false)
    }

    /// Settle takes the decision without opening the envelope only for the exact bytes this process signed
    /// (`IssuedEnvelopes`).
    @Test("an issued envelope with one signature bit flipped is refused; another process checks and settles it")
    func envelopesSignedElsewhere() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate()
        let verified = try await world.verify(mandate.id, amount: 2_000)
        var parts = verified.envelope.split(separator: ".").map(String.init)
        var signature = try #require(Base64.urlDecode(parts[2]))
        signature[5] ^= 0x01
        parts[2] = Base64.urlEncode(signature)
        let flipped = await refusal {
            try await world.settle(verified, envelope: parts.joined(separator: "."))
        }
        #expect(flipped?.code == .envelopeInvalid)
        // Another process on the same database and key (a second node, or this one restarted) never saw the
        // envelope: it checks the signature, which holds, and settles.
        let elsewhere = KuraService(
            store: world.service.store, signer: world.service.signer, clock: world.clock.clock,
            logger: Logger.quiet())
        let settled = try await elsewhere.settle(
            ReservationSettleRequest(reservationId: verified.reservationId, envelope: verified.envelope),
            by: world.principal(world.provider), idempotencyKey: nil
        ).value
        #expect(settled.idempotent == false)
        #expect(try await world.settle(verified).idempotent == true)
    }

    @Test("keys rotate by kid: an envelope signed by a previous key still settles; the JWK set lists both")
    func rotation() async throws {
        let old = try NoteSigner(name: "test.kura/log", key: TestKeys.secretKey("old service key"))
        var configuration = ServiceConfiguration()
        configuration.previousVerifiers = [old.verifier]
        let world = try await FacilitatorWorld.make(configuration: configuration)
        defer { world.close() }
        let mandate = try await world.mandate()
        let verified = try await world.verify(mandate.id, amount: 2_000)
        let decision = try DecisionEnvelope.open(verified.envelope, keys: world.service.envelopeKeys)
        let oldKid = DecisionEnvelope.keyID(name: old.name, publicKey: old.key.publicKey)
        #expect(oldKid != world.service.envelopeKeyID)
        let byOldKey = DecisionEnvelope.sign(decision, kid: oldKid, key: old.key)
        #expect(try await world.settle(verified, envelope: byOldKey).idempotent == false)
        let keys = try #require(world.service.jwks["keys"]?.arrayValue)
        #expect(keys.compactMap { $0["kid"]?.stringValue } == [world.service.envelopeKeyID, oldKid])
        #expect(keys.allSatisfy { $0["kty"] == "OKP" && $0["crv"] == "Ed25519" && $0["alg"] == "EdDSA" })
        #expect(keys.first?["x"]?.stringValue == Base64.urlEncode(TestKeys.serviceSigner.key.publicKey.bytes))
    }
}
