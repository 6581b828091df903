import Foundation
import KuraCore
import KuraCrypto
import Testing

@Suite("Parties and passports")
struct PartyTests {
    static let keyHash = String(repeating: "0f", count: 32)
    static let kura = try! Ed25519.SecretKey(seed: [UInt8](repeating: 1, count: 32))
    static let agentKey = try! Ed25519.SecretKey(seed: [UInt8](repeating: 2, count: 32))

    static func party(_ name: String, _ roles: Set<Party.Role>, _ status: PartyStatus = .active) -> Party {
        try! Party(
            id: PartyID(validating: "pty_\(name)"), name: name, roles: roles, publicKey: agentKey.publicKey,
            status: status)
    }

    static let admin = party("admin", [.operator])
    static let agent = party("agent", [.agent, .provider])

    func register(
        by actor: Party?, name: String = "Acme agent", roles: Set<Party.Role> = [.agent],
        hash: String = keyHash
    ) throws(KuraError) -> [PartyEvent] {
        try Party.decideRegister(
            id: PartyID(validating: "pty_new"), name: name, roles: roles, publicKey: Self.agentKey.publicKey,
            apiKeyHash: hash, by: actor)
    }

    @Test("an active operator registers a party, active, with its API key hash")
    func registers() throws {
        let events = try register(by: Self.admin)
        guard case .registered(let party, let hash)? = events.first, events.count == 1 else {
            Issue.record("expected one registration, got \(events)")
            return
        }
        #expect(party.status == .active && party.roles == [.agent] && hash == Self.keyHash)
        #expect(Party.fold(events) == party)
    }

    @Test(
        "only an active operator may register",
        arguments: [
            nil, agent, party("arb", [.arbiter]), party("snooze", [.operator], .suspended),
            party("gone", [.operator], .revoked),
        ])
    func registerForbidden(actor: Party?) {
        let error = #expect(throws: KuraError.self) { try register(by: actor) }
        #expect(error?.code == .forbidden)
    }

    struct BadRegistration: Sendable, CustomTestStringConvertible {
        var name: String, roles: Set<Party.Role> = [.agent], hash: String = PartyTests.keyHash
        var testDescription: String { "\(name.debugDescription) \(roles.sorted()) \(hash.prefix(8))" }
    }

    static let badRegistrations: [BadRegistration] = [
        BadRegistration(name: ""), BadRegistration(name: String(repeating: "n", count: 101)),
        BadRegistration(name: "   "), BadRegistration(name: "two\nlines"), BadRegistration(name: "bell\u{7}"),
        BadRegistration(name: "line\u{2028}separator"), BadRegistration(name: "no roles", roles: []),
        BadRegistration(name: "upper hash", hash: keyHash.uppercased()), BadRegistration(name: "short", hash: "abcd"),
    ]

    @Test("registration values are checked", arguments: badRegistrations)
    func registerInvalid(_ c: BadRegistration) {
        let error = #expect(throws: KuraError.self) {
            try register(by: Self.admin, name: c.name, roles: c.roles, hash: c.hash)
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a name of 100 characters, non-ASCII included, is fine")
    func longName() throws {
        #expect(throws: Never.self) { try register(by: Self.admin, name: String(repeating: "蔵", count: 100)) }
    }

    @Test("bootstrap registers the first operator only while the registry is empty")
    func bootstrap() throws {
        let id = try PartyID(validating: "pty_root")
        let events = try Party.decideBootstrap(
            id: id, name: "root", publicKey: Self.kura.publicKey, apiKeyHash: Self.keyHash, existingParties: 0)
        #expect(Party.fold(events)?.canAct(as: .operator) == true)
        let error = #expect(throws: KuraError.self) {
            try Party.decideBootstrap(
                id: id, name: "root", publicKey: Self.kura.publicKey, apiKeyHash: Self.keyHash, existingParties: 1)
        }
        #expect(error?.code == .forbidden)
    }

    @Test(
        "status changes follow the table; revoked is final",
        arguments: [
            (PartyStatus.active, PartyCommand.suspend, PartyStatus?.some(.suspended)),
            (.active, .revoke, .revoked), (.active, .reactivate, nil),
            (.suspended, .reactivate, .active), (.suspended, .revoke, .revoked), (.suspended, .suspend, nil),
            (.revoked, .reactivate, nil), (.revoked, .suspend, nil), (.revoked, .revoke, nil),
        ])
    func status(from: PartyStatus, command: PartyCommand, to: PartyStatus?) throws {
        var target = Self.party("target", [.provider], from)
        let outcome = Result { () throws(KuraError) in try target.decide(command, by: Self.admin) }
        switch (to, outcome) {
        case (let to?, .success(let events)):
            #expect(events == [.statusChanged(from: from, to: to)])
            events.forEach { target.apply($0) }
            #expect(target.status == to)
        case (nil, .failure(let error)):
            #expect(error.code == .invalidTransition)
        default:
            Issue.record("expected \(String(describing: to)), got \(outcome)")
        }
    }

    @Test("a registered party cannot be registered again")
    func registerTwice() {
        let command = PartyCommand.register(
            name: "x", roles: [.agent], publicKey: Self.agentKey.publicKey, apiKeyHash: Self.keyHash)
        let error = #expect(throws: KuraError.self) { try Self.agent.decide(command, by: Self.admin) }
        #expect(error?.code == .invalidTransition)
    }

    @Test("status changes need an active operator other than the target")
    func statusForbidden() {
        for actor in [nil, Self.agent, Self.party("snooze", [.operator], .suspended), Self.admin] {
            let target = actor == Self.admin ? Self.admin : Self.agent
            let error = #expect(throws: KuraError.self) { try target.decide(.suspend, by: actor) }
            #expect(error?.code == .forbidden)
        }
    }

    @Test("the wire shape has sorted roles and a base64 key; duplicates are refused")
    func wire() throws {
        let json = try JSONValue(encoding: Self.agent)
        #expect(json["roles"] == ["agent", "provider"])
        #expect(json["publicKey"]?.stringValue == Self.agentKey.publicKey.base64)
        #expect(json == Self.agent.json)
        #expect(try json.decode(Party.self) == Self.agent)
        var duplicated = json.objectValue!
        duplicated["roles"] = ["agent", "agent"]
        #expect(throws: JSONError.self) { try JSONValue.object(duplicated).decode(Party.self) }
    }

    @Test("a passport signs the canonical party record and verifies with Kura's key")
    func passport() throws {
        let passport = Passport.issue(
            party: Self.agent, issuedAt: Timestamp(milliseconds: 1_700_000_000_000),
            issuer: "kura-2025", key: Self.kura)
        #expect(passport.verify(with: Self.kura.publicKey))
        #expect(!passport.verify(with: Self.agentKey.publicKey))
        let signed = String(
            decoding: Passport.signedBytes(
                party: passport.party, issuedAt: passport.issuedAt,
                issuer: passport.issuer), as: UTF8.self)
        #expect(
            signed == #"{"issuedAt":1700000000000,"issuer":"kura-2025","party":{"id":"pty_agent","name":"agent","#
                + #""publicKey":"\#(Self.agentKey.publicKey.base64)","roles":["agent","provider"],"status":"active"}}"#)
        let json = try JSONEncoder().encode(passport)
        let back = try JSONDecoder().decode(Passport.self, from: json)
        #expect(back == passport && back.verify(with: Self.kura.publicKey))
    }

    @Test(
        "a tampered passport fails verification",
        arguments: ["name", "status", "roles", "issuedAt", "issuer", "signature"])
    func tampered(field: String) throws {
        let passport = Passport.issue(
            party: Self.agent, issuedAt: Timestamp(milliseconds: 5), issuer: "k1", key: Self.kura)
        var wire = try JSONValue(encoding: passport).objectValue!
        var party = wire["party"]!.objectValue!
        switch field {
        case "name": party["name"] = "agent2"
        case "status": party["status"] = "suspended"
        case "roles": party["roles"] = ["agent", "operator", "provider"]
        case "issuedAt": wire["issuedAt"] = 6
        case "issuer": wire["issuer"] = "k2"
        default:
            var signature = Base64.decode(wire["signature"]!.stringValue!)!
            signature[0] ^= 1
            wire["signature"] = .string(Base64.encode(signature))
        }
        wire["party"] = .object(party)
        let forged = try JSONValue.object(wire).decode(Passport.self)
        #expect(!forged.verify(with: Self.kura.publicKey))
    }
}
