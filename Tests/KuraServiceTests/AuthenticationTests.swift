import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// One way to spoil a correctly signed request.
enum Tampering: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case wrongKey, wrongBody, alteredPath, alteredQuery, alteredMethod, alteredTimestamp, alteredNonce
    case tooOld, tooNew, badSignatureEncoding, truncatedSignature, unknownParty, malformedParty
    case timestampNotNumber, timestampInt64Min, timestampInt64Max, shortNonce, nonceWithSpace
    var testDescription: String { rawValue }
}

@Suite("Authentication: API keys and signed requests")
struct AuthenticationTests {
    static let path = "/v1/escrows?party=pty_x&limit=5"
    static let body = Array(#"{"amount":10000,"asset":"USDC"}"#.utf8)

    /// A request signed by the key TestKeys derives from `signer`, for `party`.
    static func signed(
        party: Party, signer: String, method: String = "POST", path: String = path, body: [UInt8] = body,
        timestamp: Timestamp, nonce: String = "nonce-0001"
    ) -> SignedRequest {
        let text = SignedRequest.signingText(
            method: method, pathWithQuery: path, timestamp: String(timestamp.milliseconds), nonce: nonce, body: body)
        let signature = TestKeys.secretKey(signer).signature(for: Array(text.utf8))
        return SignedRequest(
            party: party.id.rawValue, timestamp: String(timestamp.milliseconds), nonce: nonce,
            signature: Base64.encode(signature), method: method, pathWithQuery: path, body: body)
    }

    @Test("an API key finds its party; an unknown or oversized key is unauthenticated")
    func apiKeys() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (party, apiKey) = try await db.register(name: "agent", roles: [.agent])
        #expect(try await db.service.authenticate(apiKey: apiKey).party == party)
        #expect(try await db.service.authenticate(apiKey: db.operatorRegistration.apiKey!).id == db.operatorParty.id)
        for bad in ["", "kura_unknown", apiKey + "x", String(apiKey.dropLast()), String(repeating: "k", count: 5_000)] {
            let error = await refusal { try await db.service.authenticate(apiKey: bad) }
            #expect(error?.code == .unauthenticated, "key \(bad.prefix(20))…")
        }
    }

    @Test(
        "the signing text is exactly kura-request-v1, method, path with query, timestamp, nonce, hex SHA-256 of the body"
    )
    func signingTextFormat() {
        let text = SignedRequest.signingText(
            method: "post", pathWithQuery: "/v1/escrows?limit=5", timestamp: "1735689600000", nonce: "n0nce-abc",
            body: Array("abc".utf8))
        #expect(
            text == "kura-request-v1\nPOST\n/v1/escrows?limit=5\n1735689600000\nn0nce-abc\n"
                + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = SignedRequest.signingText(
            method: "GET", pathWithQuery: "/healthz", timestamp: "1", nonce: "n", body: [])
        #expect(
            empty
                == "kura-request-v1\nGET\n/healthz\n1\nn\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    }

    @Test("a signature over the documented text, made without Kura's helper, is accepted")
    func independentSignature() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (party, _) = try await db.register(name: "agent", roles: [.agent])
        let now = String(db.clock.now.milliseconds)
        let text =
            "kura-request-v1\nGET\n/v1/accounts/\(party.id)?x=1\n\(now)\nabcdefgh-1\n"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let request = SignedRequest(
            party: party.id.rawValue, timestamp: now, nonce: "abcdefgh-1",
            signature: Base64.encode(TestKeys.secretKey("agent").signature(for: Array(text.utf8))), method: "GET",
            pathWithQuery: "/v1/accounts/\(party.id)?x=1", body: [])
        #expect(try await db.service.authenticate(request).party == party)
    }

    @Test(
        "a valid signed request is accepted, up to 300 s of skew either way",
        arguments: [0 as Int64, 300_000, -300_000])
    func valid(skew: Int64) async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (party, _) = try await db.register(name: "agent", roles: [.agent])
        let request = Self.signed(party: party, signer: "agent", timestamp: db.clock.now.adding(milliseconds: skew))
        let principal = try await db.service.authenticate(request)
        #expect(principal.party == party)
        #expect(try await db.service.store.head().seq == 2)  // authentication appends no event
    }

    @Test("a spoiled signed request is unauthenticated", arguments: Tampering.allCases)
    func tampered(tampering: Tampering) async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (party, _) = try await db.register(name: "agent", roles: [.agent])
        let now = db.clock.now
        var request = Self.signed(party: party, signer: "agent", timestamp: now)
        switch tampering {
        case .wrongKey: request = Self.signed(party: party, signer: "someone-else", timestamp: now)
        case .wrongBody: request.body = Array(#"{"amount":10001,"asset":"USDC"}"#.utf8)
        case .alteredPath: request.pathWithQuery = "/v1/escrows/esc_1/confirm?party=pty_x&limit=5"
        case .alteredQuery: request.pathWithQuery = "/v1/escrows?party=pty_x&limit=6"
        case .alteredMethod: request.method = "PUT"
        case .alteredTimestamp: request.timestamp = String(now.milliseconds + 1)
        case .alteredNonce: request.nonce = "nonce-0002"
        case .tooOld:
            request = Self.signed(party: party, signer: "agent", timestamp: now.adding(milliseconds: -301_000))
        case .tooNew: request = Self.signed(party: party, signer: "agent", timestamp: now.adding(milliseconds: 301_000))
        case .badSignatureEncoding: request.signature = "not base64!"
        case .truncatedSignature: request.signature = Base64.encode(Base64.decode(request.signature)!.prefix(63))
        case .unknownParty:
            request.party = PartyID.derive(command: "nobody", seq: 1).rawValue
        case .malformedParty: request.party = "agent"
        case .timestampNotNumber: request.timestamp = "now"
        case .timestampInt64Min:
            request = Self.signed(party: party, signer: "agent", timestamp: Timestamp(milliseconds: .min))
        case .timestampInt64Max:
            request = Self.signed(party: party, signer: "agent", timestamp: Timestamp(milliseconds: .max))
        case .shortNonce: request = Self.signed(party: party, signer: "agent", timestamp: now, nonce: "n1")
        case .nonceWithSpace: request = Self.signed(party: party, signer: "agent", timestamp: now, nonce: "nonce 0001")
        }
        let error = await refusal { try await db.service.authenticate(request) }
        #expect(error?.code == .unauthenticated)
    }

    @Test("a nonce is accepted once per party; a refused request does not spend it")
    func nonceReuse() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (agent, _) = try await db.register(name: "agent", roles: [.agent])
        let (provider, _) = try await db.register(name: "provider", roles: [.provider])
        let now = db.clock.now

        // A bad signature with nonce N first: N is still fresh afterwards.
        let forged = Self.signed(party: agent, signer: "mallory", timestamp: now, nonce: "nonce-NN")
        #expect(await refusal { try await db.service.authenticate(forged) }?.code == .unauthenticated)

        let request = Self.signed(party: agent, signer: "agent", timestamp: now, nonce: "nonce-NN")
        #expect(try await db.service.authenticate(request).id == agent.id)
        let replay = await refusal { try await db.service.authenticate(request) }
        #expect(replay?.code == .unauthenticated)
        // Even a differently signed request (another path) may not reuse it.
        let other = Self.signed(party: agent, signer: "agent", path: "/v1/escrows", timestamp: now, nonce: "nonce-NN")
        #expect(await refusal { try await db.service.authenticate(other) }?.code == .unauthenticated)
        // Another party's nonces are its own.
        let theirs = Self.signed(party: provider, signer: "provider", timestamp: now, nonce: "nonce-NN")
        #expect(try await db.service.authenticate(theirs).id == provider.id)

        // Much later, the old request is refused for its age, whatever happened to the nonce.
        db.clock.advance(by: 3_600_000)
        #expect(await refusal { try await db.service.authenticate(request) }?.code == .unauthenticated)
    }

    @Test("a suspended party's valid signature is forbidden")
    func suspendedSigner() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let (party, _) = try await db.register(name: "agent", roles: [.agent])
        _ = try await db.service.changeStatus(of: party.id, .suspend, by: db.operatorPrincipal, idempotencyKey: nil)
        let error = await refusal {
            try await db.service.authenticate(Self.signed(party: party, signer: "agent", timestamp: db.clock.now))
        }
        #expect(error?.code == .forbidden)
    }
}
