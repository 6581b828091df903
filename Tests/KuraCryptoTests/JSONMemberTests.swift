import KuraCrypto
import KuraTesting
import Testing

/// `JSONValue.member(_:ofObject:)` reads one member and skips the rest: it must answer what parsing the whole
/// object answers, and refuse what parsing refuses (but a duplicate key inside a skipped value).
@Suite struct JSONMemberTests {
    /// A random JSON value of every kind, escapes and non-ASCII text included.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let strings = ["", "a", "postings", "é\u{1F600}", "quote\"back\\slash", "tab\tnewline\n", "\u{7F}x", "\u{1}"]
        switch Int.random(in: 0..<(depth < 3 ? 7 : 4), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let numbers: [Double] = [0, -1, 1e21, 1.5e-7, 4_503_599_627_370_496, -0.25, 123_456_789]
            return .number(numbers.randomElement(using: &rng)!)
        case 3: return .string(strings.randomElement(using: &rng)!)
        case 4, 5:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                members[strings.randomElement(using: &rng)! + "\(Int.random(in: 0...3, using: &rng))"] =
                    randomValue(&rng, depth: depth + 1)
            }
            return .object(members)
        default:
            return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        }
    }

    @Test("every member of 2,000 random objects, as canonical and as spaced text, reads as parsing the object says")
    func membersAsParsed() throws {
        var rng = SplitMix64(seed: 0x6d65_6d62_6572)
        for _ in 0..<2_000 {
            guard case .object(let members) = Self.randomValue(&rng, depth: 1) else { continue }
            let value = JSONValue.object(members)
            let canonical = try value.canonicalBytes()
            // Whitespace everywhere the grammar allows it.
            let spaced =
                Array(" \n".utf8)
                + canonical.flatMap { byte in
                    [UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "{")].contains(byte)
                        ? [byte, UInt8(ascii: "\t")] : [byte]
                } + Array(" ".utf8)
            for bytes in [canonical, spaced] {
                #expect(try JSONValue.parse(bytes) == value)
                for (name, member) in members {
                    #expect(try JSONValue.member(name, ofObject: bytes) == member)
                }
                #expect(try JSONValue.member("absent", ofObject: bytes) == nil)
            }
        }
    }

    @Test(
        "what parsing refuses is refused, in the member read and in the ones skipped",
        arguments: [
            "", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}", "{,}", "{\"a\":1} x",
            "{\"a\":[1,]}", "{\"a\":{\"b\":}}", "{\"a\":01}", "{\"a\":1e400}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud83d\"}",
            "{\"a\":\"tab\there\"}", "{\"a\":tru}", "{\"a\":[1}", "{\"a\":{\"b\":1]}", "{\"a\":1,\"a\":2}",
            "{\"postings\":[],\"postings\":[]}", "{\"a\":\"\\u12g4\"}",
        ])
    func refused(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
        #expect(throws: JSONError.self) { try JSONValue.member("postings", ofObject: Array(text.utf8)) }
        #expect(throws: JSONError.self) { try JSONValue.member("a", ofObject: Array(text.utf8)) }
    }

    @Test("a document that is not an object is refused; invalid UTF-8 and nesting past 512 are, inside a skipped value")
    func refusedWhenSkipped() {
        for text in ["[]", "1", "\"postings\"", "null", "[{\"postings\":1}]"] {
            #expect(throws: JSONError.self) { try JSONValue.member("postings", ofObject: Array(text.utf8)) }
        }
        #expect(throws: JSONError.self) {
            try JSONValue.member("b", ofObject: Array("{\"a\":\"".utf8) + [0xFF, 0x22, 0x7D])
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}"
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
        #expect(throws: JSONError.self) { try JSONValue.member("b", ofObject: Array(deep.utf8)) }
    }
}
