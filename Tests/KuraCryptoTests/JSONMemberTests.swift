import KuraCrypto
import KuraTesting
import Testing

/// `JSONValue.member(_:ofObject:)` reads one member and skips the rest: it must answer what parsing the whole
/// object answers, and refuse what parsing refuses (but a duplicate key inside a skipped value).
@Suite struct JSONMemberTests {
    @Test("every member of 2,000 random objects, as canonical and as spaced text, reads as parsing the object says")
    func membersAsParsed() throws {
        var rng = SplitMix64(seed: 0x6d65_6d62_6572)
        for _ in 0..<2_000 {
            guard case .object(let members) = JSONSamples.value(&rng, depth: 1) else { continue }
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
