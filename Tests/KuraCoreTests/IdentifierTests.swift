import Foundation
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// An identifier type with its prefix, for parameterised tests over every kind.
struct IdentifierKind: Sendable, CustomTestStringConvertible {
    let prefix: String
    let derive: @Sendable (JSONValue, UInt64) -> String
    let validate: @Sendable (String) throws(KuraError) -> String
    var testDescription: String { prefix }

    init<ID: KuraIdentifier>(_ type: ID.Type) {
        prefix = ID.prefix
        derive = { command, seq in ID.derive(command: command, seq: seq).rawValue }
        validate = { (text: String) throws(KuraError) -> String in try ID(validating: text).rawValue }
    }

    static let all = [
        IdentifierKind(EscrowID.self), IdentifierKind(ReservationID.self), IdentifierKind(DisputeID.self),
        IdentifierKind(PartyID.self), IdentifierKind(ChannelID.self), IdentifierKind(MandateID.self),
        IdentifierKind(PositionID.self), IdentifierKind(EventID.self),
    ]
}

/// The independent computation of DESIGN section 3, written out by hand: the canonical JSON text of
/// `{"command":…,"seq":N}` (keys already in order, seq as a plain integer), SHA-256, 16 bytes, base58.
private func expectedID(prefix: String, commandCanonical: String, seq: UInt64) -> String {
    let text = "{\"command\":\(commandCanonical),\"seq\":\(seq)}"
    return prefix + "_" + Base58.encode(SHA256.hash(Array(text.utf8)).prefix(16))
}

private let sampleCommand: JSONValue = [
    "type": "escrow.lock", "payer": "pty_1", "payee": "pty_2", "amount": 1_000_000, "asset": "USDC",
    "memo": "café \"quoted\" \u{1F600}",
]
private let sampleCanonical =
    #"{"amount":1000000,"asset":"USDC","memo":"café \"quoted\" 😀","payee":"pty_2","payer":"pty_1","type":"escrow.lock"}"#

@Suite struct IdentifierTests {
    // MARK: Derivation

    @Test(
        "derivation matches SHA-256 of the canonical {command, seq} text, first 16 bytes, base58",
        arguments: IdentifierKind.all)
    func derivationMatchesIndependentComputation(_ kind: IdentifierKind) throws {
        #expect(try sampleCommand.canonicalString() == sampleCanonical)
        for seq: UInt64 in [1, 2, 42, 1_000_000, 9_007_199_254_740_991] {
            let id = kind.derive(sampleCommand, seq)
            #expect(id == expectedID(prefix: kind.prefix, commandCanonical: sampleCanonical, seq: seq))
            // It validates as its own kind.
            #expect(try kind.validate(id) == id)
        }
    }

    @Test("derivation is deterministic and depends on both the command and the seq")
    func derivationIsDeterministic() {
        let a = EscrowID.derive(command: sampleCommand, seq: 7)
        #expect(a == EscrowID.derive(command: sampleCommand, seq: 7))
        // Key order in the source does not matter: the canonical form is what is hashed.
        let reordered: JSONValue = [
            "memo": "café \"quoted\" \u{1F600}", "asset": "USDC", "amount": 1_000_000, "payee": "pty_2",
            "payer": "pty_1", "type": "escrow.lock",
        ]
        #expect(EscrowID.derive(command: reordered, seq: 7) == a)
        #expect(EscrowID.derive(command: sampleCommand, seq: 8) != a)
        #expect(EscrowID.derive(command: ["type": "escrow.lock"], seq: 7) != a)
        // Same material, different kinds: same base58, different prefix.
        let party = PartyID.derive(command: sampleCommand, seq: 7)
        #expect(party.rawValue.dropFirst(4) == a.rawValue.dropFirst(4))
        #expect(party.rawValue.hasPrefix("pty_") && a.rawValue.hasPrefix("esc_"))
    }

    /// The command is made canonical once, before the writer, and the material is laid out around its bytes; a seq
    /// of 2^53 or more is written as the JSON number it was before, rounded, never a trap (review finding).
    @Test("a command's material laid out by hand is the canonical JSON of the object it stands for")
    func canonicalCommandMaterial() throws {
        let commands: [JSONValue] = [
            sampleCommand, ["op": "x", "request": ["é": "\u{E000}\u{1F600}", "a\"b": [1.5, nil, true]]], [:],
        ]
        for command in commands {
            let canonical = try CanonicalCommand(command)
            for seq: UInt64 in [0, 1, 7, 1_000_000, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, 1 << 60, .max] {
                #expect(
                    canonical.material(seq: seq)
                        == (try JSONValue.object(["command": command, "seq": .number(Double(seq))]).canonicalBytes()))
                for actor in ["pty_x", "sys\ntem\"\u{1}", "ü"] {
                    let expected = try JSONValue.object([
                        "actor": .string(actor), "command": command, "seq": .number(Double(seq)),
                    ]).canonicalBytes()
                    #expect(canonical.material(actor: actor, seq: seq) == expected)
                }
                #expect(EscrowID.derive(command: canonical, seq: seq) == EscrowID.derive(command: command, seq: seq))
            }
        }
    }

    /// x402 settle hashes the request's canonical bytes for its verify cache and lays the command out around them.
    @Test("a command laid out around its request's canonical bytes is the canonical JSON of {op, request}")
    func canonicalCommandAroundRequest() throws {
        let requests: [JSONValue] = [
            sampleCommand, ["é": "\u{E000}\u{1F600}", "a\"b": [1.5, nil, true]], [:], 7, "x",
        ]
        for operation in ["x402.settle", "o\"p\u{1}é", ""] {
            for request in requests {
                let whole = try CanonicalCommand(["op": .string(operation), "request": request])
                let around = CanonicalCommand(operation: operation, canonicalRequest: try request.canonicalBytes())
                #expect(around.bytes == whole.bytes)
            }
        }
    }

    @Test("a known identifier, pinned: a change to the derivation is caught")
    func derivationPinned() {
        // {"command":{"n":1},"seq":1}
        let id = EscrowID.derive(command: ["n": 1], seq: 1)
        let digest = SHA256.hash(#"{"command":{"n":1},"seq":1}"#)
        #expect(id.rawValue == "esc_" + Base58.encode(digest.prefix(16)))
        #expect(Base58.decode(String(id.rawValue.dropFirst(4))) == Array(digest.prefix(16)))
    }

    @Test("an event ID is the base58 of the event hash's first 16 bytes")
    func eventID() throws {
        let hash = Array(SHA256.hash("event"))
        let id = EventID(eventHash: hash)
        #expect(id.rawValue == "evt_" + Base58.encode(hash.prefix(16)))
        #expect(try EventID(validating: id.rawValue) == id)
    }

    // MARK: Validation

    @Test("valid identifiers parse, and round-trip through Codable and LosslessStringConvertible")
    func validationAccepts() throws {
        let id = EscrowID.derive(command: sampleCommand, seq: 1)
        #expect(try EscrowID(validating: id.rawValue) == id)
        #expect(EscrowID(id.description) == id)
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(id.rawValue)\"]")
        #expect(try JSONDecoder().decode([EscrowID].self, from: data) == [id])
        #expect(try EscrowID(validating: "esc_1").rawValue == "esc_1")  // one zero byte
        #expect(
            try ChannelID(validating: "ch_" + Base58.encode([UInt8](repeating: 0xFF, count: 32))).rawValue.hasPrefix(
                "ch_"))
    }

    @Test(
        "wrong prefix, empty body, non-base58 and oversized identifiers are refused",
        arguments: [
            "", "esc", "esc_", "_3mJr7A", "ESC_3mJr7A", "esc-3mJr7A", "pty_3mJr7A", "escc_3mJr7A", "esc__3mJr7A",
            "esc_3mJr0A", "esc_3mJrOA", "esc_3mJrIA", "esc_3mJrlA", "esc_3mJr 7A", " esc_3mJr7A", "esc_3mJr7A\n",
            "esc_é", "esc_+", "esc_" + Base58.encode([UInt8](repeating: 0xFF, count: 33)),
            "esc_" + String(repeating: "2", count: 65),
        ])
    func validationRefuses(_ text: String) {
        let error = #expect(throws: KuraError.self) { try EscrowID(validating: text) }
        #expect(error?.code == .invalidRequest)
        #expect(EscrowID(text) == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([EscrowID].self, from: Data("[\"\(text)\"]".utf8))
        }
    }

    @Test("each kind refuses every other kind's identifiers", arguments: IdentifierKind.all)
    func kindsDoNotMix(_ kind: IdentifierKind) throws {
        for other in IdentifierKind.all where other.prefix != kind.prefix {
            let foreign = other.derive(sampleCommand, 1)
            #expect(throws: KuraError.self, "\(foreign) as \(kind.prefix)") { try kind.validate(foreign) }
        }
    }

    // MARK: Amount

    @Test("amounts up to 2^53−1 are accepted, 2^53 and above refused")
    func amountCeiling() throws {
        #expect(try Amount(units: 0).units == 0)
        #expect(try Amount(units: 9_007_199_254_740_991).units == Amount.maxUnits)
        #expect(Amount.maxUnits == 9_007_199_254_740_991)
        for units: UInt64 in [9_007_199_254_740_992, 9_007_199_254_740_993, .max] {
            let error = #expect(throws: KuraError.self) { try Amount(units: units) }
            #expect(error?.code == .invalidRequest)
        }
        let max = try Amount(units: Amount.maxUnits)
        #expect(throws: KuraError.self) { try max.adding(Amount(units: 1)) }
        #expect(try max.adding(.zero) == max)
        #expect(try Amount(units: 5).subtracting(Amount(units: 5)) == .zero)
        let under = #expect(throws: KuraError.self) { try Amount(units: 5).subtracting(Amount(units: 6)) }
        #expect(under?.code == .insufficientFunds)
    }

    @Test("amounts decode only within range")
    func amountCodable() throws {
        #expect(
            try JSONDecoder().decode([Amount].self, from: Data("[9007199254740991]".utf8)) == [
                Amount(units: Amount.maxUnits)
            ])
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode([Amount].self, from: Data("[9007199254740992]".utf8))
        }
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Amount].self, from: Data("[-1]".utf8)) }
        #expect(try JSONValue(encoding: Amount(units: Amount.maxUnits)).canonicalString() == "9007199254740991")
    }

    @Test(
        "basis points round down, exactly, even at the ceiling",
        arguments: [
            (10_000, 250, 250), (9_999, 250, 249), (1, 9_999, 0), (3, 3_333, 0), (100, 1, 0), (10_000, 1, 1),
            (19_999, 5_000, 9_999), (Amount.maxUnits, 10_000, Amount.maxUnits),
            (Amount.maxUnits, 9_999, 9_006_298_534_815_516), (Amount.maxUnits, 1, 900_719_925_474), (12_345, 0, 0),
        ] as [(UInt64, UInt64, UInt64)])
    func basisPoints(_ units: UInt64, _ bps: UInt64, _ expected: UInt64) throws {
        #expect(try Amount(units: units).basisPoints(bps).units == expected)
        // Cross-check with 128-bit-free arithmetic where it cannot overflow.
        if units <= UInt64.max / 10_000 { #expect(units * bps / 10_000 == expected) }
    }

    // MARK: Event hash = SHA-256 of the generic JCS encoding

    /// Strings that stress the canonical string encoder: escapes, controls, non-BMP, NFC/NFD, U+2028.
    static let trickyStrings = [
        "", "plain", "quote \" and backslash \\", "slash / stays", "controls \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}",
        "del \u{7F}", "line sep \u{2028} para \u{2029}", "é vs e\u{301}", "emoji 😀 and 𝄞", "日本語", "\u{FEFF}bom",
        "\u{FFFF}\u{10FFFF}", "</script>", "tab\there",
    ]

    @Test(
        "Event.canonicalBody agrees with the generic JCS encoder, and the hash is SHA-256 of it",
        arguments: trickyStrings)
    func eventHashIsJCS(_ tricky: String) throws {
        let payload: JSONValue = [
            "note": .string(tricky), tricky: 1, "nested": ["a": [1.5, -0.0, 1e21, true, nil]],
            "amount": 9_007_199_254_740_991,
        ]
        let event = try Event(
            seq: 7, stream: "escrow/esc_\(tricky)", version: 3, type: "escrow.\(tricky)", payload: payload,
            at: Timestamp(milliseconds: 1_732_400_000_123), actor: "pty_\(tricky)", commandId: "cmd \(tricky)",
            prevHash: SHA256.hash("previous"))
        var object = try #require(event.json.objectValue)
        #expect(object["hash"] == .string(Hex.encode(event.hash)))
        object["hash"] = nil
        let generic = try JSONValue.object(object).canonicalBytes()
        let body = Event.canonicalBody(
            seq: event.seq, stream: event.stream, version: event.version, type: event.type,
            canonicalPayload: try payload.canonicalBytes(), at: event.at, actor: event.actor,
            commandId: event.commandId, prevHash: event.prevHash)
        #expect(String(decoding: body, as: UTF8.self) == String(decoding: generic, as: UTF8.self))
        #expect(body == generic)
        #expect(event.hash == SHA256.hash(generic))
        // The body is itself valid, canonical JSON.
        #expect(try JSONValue.canonicalize(body) == body)
        #expect(event.id == EventID(eventHash: event.hash))
    }

    @Test("every field of an event is covered by its hash")
    func eventHashCoversEveryField() throws {
        func make(
            seq: UInt64 = 1, stream: String = "s", version: UInt64 = 1, type: String = "t",
            payload: JSONValue = ["a": 1],
            at: Int64 = 5, actor: String = "pty_a", commandId: String = "c", prevHash: [UInt8] = Event.genesisHash
        ) throws -> [UInt8] {
            try Event(
                seq: seq, stream: stream, version: version, type: type, payload: payload,
                at: Timestamp(milliseconds: at), actor: actor, commandId: commandId, prevHash: prevHash
            ).hash
        }
        let base = try make()
        #expect(try make() == base)
        let variants = try [
            make(seq: 2), make(stream: "s2"), make(version: 2), make(type: "t2"), make(payload: ["a": 2]),
            make(at: 6), make(actor: "pty_b"), make(commandId: "c2"), make(prevHash: SHA256.hash("x")),
        ]
        for (index, variant) in variants.enumerated() { #expect(variant != base, "field \(index)") }
        #expect(Set(variants.map { Hex.encode($0) }).count == variants.count)
    }

    @Test("an event whose payload cannot be canonical JSON is refused")
    func eventRefusesNonFinitePayload() {
        let error = #expect(throws: KuraError.self) {
            try Event(
                seq: 1, stream: "s", version: 1, type: "t", payload: ["x": .number(.nan)],
                at: Timestamp(milliseconds: 0), actor: "a", commandId: "c", prevHash: Event.genesisHash)
        }
        #expect(error?.code == .invalidRequest)
    }

    /// The rule as it was: a prefix, then Base58 that decodes to 1 to 32 bytes.
    static func referenceIsValid(_ text: String, prefix: String) -> Bool {
        let head = prefix + "_"
        guard text.hasPrefix(head), text.utf8.count <= head.utf8.count + 64,
            let raw = Base58.decode(String(text.dropFirst(head.count)))
        else { return false }
        return !raw.isEmpty && raw.count <= 32
    }

    @Test("validation in place agrees with decoding on 20,000 seeded texts, every kind", arguments: IdentifierKind.all)
    func validationAgreesWithDecoding(kind: IdentifierKind) {
        var random = SplitMix64(seed: UInt64(kind.prefix.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        let others: [Character] = ["0", "O", "I", "l", "_", " ", "é", "\u{301}", "😀", "/"]
        let heads = [
            kind.prefix + "_", kind.prefix, kind.prefix + "-", "x" + kind.prefix + "_", "", kind.prefix + "_\u{301}",
        ]
        for _ in 0..<20_000 {
            let ones = Int.random(in: 0...3, using: &random) == 0 ? Int.random(in: 0...40, using: &random) : 0
            var body = String(repeating: "1", count: ones)
            for _ in 0..<Int.random(in: 0...70, using: &random) {
                body.append(
                    Int.random(in: 0..<40, using: &random) == 0
                        ? others.randomElement(using: &random)! : alphabet.randomElement(using: &random)!)
            }
            let text =
                (Int.random(in: 0..<8, using: &random) == 0 ? heads.randomElement(using: &random)! : heads[0]) + body
            let expected = Self.referenceIsValid(text, prefix: kind.prefix)
            #expect(((try? kind.validate(text)) != nil) == expected, "\(text)")
        }
    }
}
