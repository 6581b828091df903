import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// The RFC 8785 vectors in Fixtures/vectors/jcs.json (see its "description" and "source").
struct JCSVectors: Decodable, Sendable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let input: String
        let canonical: String
        let canonical_utf8_hex: String
        var testDescription: String { name }
    }
    struct NumberRow: Decodable, Sendable, CustomTestStringConvertible {
        let ieee754_hex: String
        let expected: String?
        let error: Bool?
        var value: Double { Double(bitPattern: UInt64(ieee754_hex, radix: 16)!) }
        var testDescription: String { "\(ieee754_hex) → \(expected ?? "error")" }
    }
    struct ES6File: Decodable, Sendable {
        let published_sha256_first_1000: String
        let first_1000: [NumberRow]
        let random_sample: [NumberRow]
    }
    struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let input: String
        var testDescription: String { name }
    }
    let cases: [Case]
    let numbers: [NumberRow]
    let numbers_es6testfile: ES6File
    let invalid_inputs: [Invalid]

    static let url = VectorFixtures.url("jcs.json")

    static func load() throws -> JCSVectors {
        try VectorFixtures.load("jcs.json", as: JCSVectors.self)
    }

    /// Empty when the file is missing, so the parameterised tests run zero cases and
    /// `fixtureIsComplete` reports the real problem instead of the process crashing.
    static let shared =
        (try? load())
        ?? JCSVectors(
            cases: [], numbers: [],
            numbers_es6testfile: ES6File(published_sha256_first_1000: "", first_1000: [], random_sample: []),
            invalid_inputs: [])
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
}

private func canonicalNumber(_ value: Double) throws -> String {
    try JSONValue.number(value).canonicalString()
}

@Suite struct CanonicalJSONTests {
    // MARK: RFC 8785 vectors

    @Test("the fixture loads and has every section")
    func fixtureIsComplete() throws {
        let vectors = try JCSVectors.load()
        #expect(vectors.cases.count == 8)
        #expect(vectors.numbers.count == 26)
        #expect(vectors.numbers_es6testfile.first_1000.count == 1000)
        #expect(vectors.numbers_es6testfile.random_sample.count == 1000)
        #expect(vectors.invalid_inputs.count == 3)
    }

    @Test("each RFC/cyberphone input canonicalizes to the expected text and bytes", arguments: JCSVectors.shared.cases)
    func canonicalCase(_ vector: JCSVectors.Case) throws {
        let bytes = try JSONValue.canonicalize(Array(vector.input.utf8))
        #expect(String(decoding: bytes, as: UTF8.self) == vector.canonical)
        #expect(hex(bytes) == vector.canonical_utf8_hex)
        // Canonical output is a fixed point, and the String entry point agrees with the byte one.
        #expect(try JSONValue.canonicalize(bytes) == bytes)
        #expect(try JSONValue.parse(vector.input).canonicalBytes() == bytes)
    }

    @Test("RFC 8785 Appendix B numbers; NaN and Infinity are refused", arguments: JCSVectors.shared.numbers)
    func appendixBNumber(_ row: JCSVectors.NumberRow) throws {
        if row.error == true {
            #expect(throws: JSONError.self) { try JSONValue.number(row.value).canonicalBytes() }
        } else {
            #expect(try canonicalNumber(row.value) == row.expected)
        }
    }

    @Test(
        "es6testfile: first 1000 lines and 1000 pseudo-random doubles",
        arguments: JCSVectors.shared.numbers_es6testfile.first_1000
            + JCSVectors.shared.numbers_es6testfile.random_sample)
    func es6TestFileNumber(_ row: JCSVectors.NumberRow) throws {
        let text = try canonicalNumber(row.value)
        #expect(text == row.expected)
        // The text must also read back as the very same double.
        #expect(try JSONValue.parse(text).doubleValue?.bitPattern == (row.value == 0 ? 0 : row.value.bitPattern))
    }

    /// Ties our output to the upstream file itself, not only to this fixture's copy of it.
    @Test("our output for the first 1000 es6testfile lines hashes to the published SHA-256")
    func es6TestFilePublishedHash() throws {
        let file = try JCSVectors.load().numbers_es6testfile
        var lines = ""
        for row in file.first_1000 {
            let trimmed = row.ieee754_hex.drop { $0 == "0" }
            lines += "\(trimmed.isEmpty ? "0" : String(trimmed)),\(try canonicalNumber(row.value))\n"
        }
        #expect(hex(SHA256.hash(lines)) == file.published_sha256_first_1000)
    }

    @Test("inputs RFC 8785 says must be rejected are rejected", arguments: JCSVectors.shared.invalid_inputs)
    func invalidInput(_ vector: JCSVectors.Invalid) {
        #expect(throws: JSONError.self) { try JSONValue.parse(vector.input) }
    }

    // MARK: Strict parsing

    @Test(
        "malformed JSON is rejected",
        arguments: [
            "", " ", "{} x", "1 2", "[1]]", "nullx", "tru", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "{,}", "[", "{\"a\":",
            "01", "-01", "[00]", "1.", ".5", "+1", "1e", "1e+", "-", "0x10", "NaN", "Infinity", "-Infinity",
            "\"a\u{01}b\"", "\"tab\there\"", "\"new\nline\"", "\"unterminated", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
            "\"\\udead\"", "\"\\ud83d\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\"", "\"\\ude00\\ud83d\"",
            "1e400", "-1e400", "[1e309]", "\u{FEFF}{}", "{'a':1}", "[1\u{0B}]",
            "{\"\u{E9}\":1,\"e\u{301}\":2}",  // canonically equivalent keys are one Swift key: a duplicate
        ])
    func malformed(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test(
        "invalid UTF-8 is rejected",
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22],  // stray byte, overlongs
            [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xED, 0xBF, 0xBF, 0x22],  // surrogates encoded as UTF-8
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xE2, 0x82, 0x22], [0x22, 0xE2, 0x82], [0x22, 0x80, 0x22], [0xFF],  // truncated, bare continuation
        ] as [[UInt8]])
    func invalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONValue.parse(bytes) }
    }

    @Test("errors say what and where")
    func errorOffsets() throws {
        let surrogate = #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":"\udead"}"#) }
        #expect(surrogate?.offset == 6)
        #expect(surrogate?.reason == #"lone surrogate \udead at byte 6"#)
        let duplicate = #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":1, "a":2}"#) }
        #expect(duplicate?.offset == 8)
        #expect(duplicate?.description.contains("duplicate") == true)
        #expect((#expect(throws: JSONError.self) { try JSONValue.parse("[1] x") })?.offset == 4)
        #expect((#expect(throws: JSONError.self) { try JSONValue.parse("[007]") })?.offset == 1)
        #expect((#expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0x61, 0xFE, 0x22]) })?.offset == 2)
    }

    @Test("nesting is allowed to depth 512 and refused at 513")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(try JSONValue.parse(nested(512)).canonicalString() == nested(512))
        #expect(throws: JSONError.self) { try JSONValue.parse(nested(513)) }
        #expect(throws: JSONError.self) {
            try JSONValue.parse(String(repeating: "{\"a\":", count: 513) + "1" + String(repeating: "}", count: 513))
        }
        #expect(throws: JSONError.self) { try JSONValue.parse(String(repeating: "[", count: 100_000)) }
    }

    /// Decision: a number too small for a double reads as (signed) zero, its correctly rounded
    /// value, and canonicalizes to "0"; only overflow to infinity is an error (RFC 8785 3.2.2.3).
    @Test("underflow reads as zero, overflow is an error")
    func underflowIsZero() throws {
        #expect(try JSONValue.parse("1e-400") == .number(0))
        #expect(try JSONValue.canonicalize(Array("[1e-400,-1e-400,0e999999999]".utf8)) == Array("[0,0,0]".utf8))
        #expect(throws: JSONError.self) { try JSONValue.parse("1e400") }
        #expect(throws: JSONError.self) { try JSONValue.parse("-1e400") }
    }

    /// Review finding: `0.99999999999999999` read as the exact integer 1, so an amount the sender never wrote.
    @Test("a non-integer that a double would round to an integer is refused; exact integers in any notation are not")
    func fractionLostToRounding() throws {
        for text in [
            "0.99999999999999999", "-0.99999999999999999", "9.99999999999999999", "4503599627370496.5",
            "1.00000000000000000001", "99999999999999999e-17", "[2.0000000000000001]",
        ] {
            let error = #expect(throws: JSONError.self, "\(text)") { try JSONValue.parse(text) }
            #expect(
                error?.reason.contains("fraction lost to rounding") == true, "\(text): \(String(describing: error))")
        }
        for (text, value) in [
            ("1.0", 1.0), ("1.000000000000000000000", 1), ("25e-1", 2.5), ("2500e-3", 2.5), ("100e-2", 1),
            ("0.5", 0.5), ("0.30000000000000004", 0.30000000000000004), ("1e-400", 0), ("9007199254740993", 0x1p53),
            ("9007199254740993.5", 9_007_199_254_740_994), ("1.5e300", 1.5e300),
        ] {
            #expect(try JSONValue.parse(text).doubleValue == value, "\(text)")
        }
    }

    @Test(
        "numbers parse to the correctly rounded double",
        arguments: [
            ("0", 0), ("-0", -0.0), ("1", 1), ("-12", -12), ("0.1", 0.1), ("1E2", 100), ("1e+2", 100), ("25e-1", 2.5),
            ("9007199254740993", 9007199254740992), ("333333333.33333329", 333333333.3333333),
            ("0.000000000000000000000000001", 1e-27), ("123456789012345678901234567890", 1.2345678901234568e29),
            ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)),
            ("4.9406564584124654e-324", .leastNonzeroMagnitude),
            ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("0.0000000000000000000000000000000000000000001e43", 1),
        ] as [(String, Double)])
    func numberParsing(_ text: String, _ expected: Double) throws {
        let parsed = try #require(try JSONValue.parse(text).doubleValue)
        #expect(parsed.bitPattern == expected.bitPattern)
    }

    @Test("whitespace, escapes and literals")
    func lexicalDetails() throws {
        let value = try JSONValue.parse(
            " \t\r\n{ \"a\" : [ true , false , null ] , \"b\\/\\u0041\\u00e9\\ud83d\\ude00\" : \"\\u0000\" } \n")
        #expect(value["a"] == [true, false, nil])
        #expect(value["b/A\u{E9}\u{1F600}"] == "\u{0}")
        #expect(try value.canonicalString() == "{\"a\":[true,false,null],\"b/A\u{E9}\u{1F600}\":\"\\u0000\"}")
    }

    // MARK: Canonical output

    @Test("strings use only the minimal JCS escapes")
    func stringEscaping() throws {
        let text = "q\" b\\ /\u{8}\u{C}\n\r\t\u{1}\u{1F}\u{7F}\u{2028}é😀"
        #expect(
            try JSONValue.string(text).canonicalString()
                == "\"q\\\" b\\\\ /\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}\u{2028}é😀\"")
    }

    @Test("keys sort by UTF-16 code units, not by scalar or Swift String order")
    func keyOrder() throws {
        // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 and U+FB33 but after U+D7FF.
        let value: JSONValue = [
            "\u{FB33}": 1, "\u{E000}": 2, "\u{1F600}": 3, "\u{D7FF}": 4, "b": 5, "a": 6, "aa": 7, "": 8, "B": 9,
        ]
        #expect(
            try value.canonicalString()
                == "{\"\":8,\"B\":9,\"a\":6,\"aa\":7,\"b\":5,\"\u{D7FF}\":4,\"\u{1F600}\":3,\"\u{E000}\":2,\"\u{FB33}\":1}"
        )
    }

    @Test(
        "numbers use the ECMAScript form",
        arguments: [
            (-0.0, "0"), (1, "1"), (-1.5, "-1.5"), (100, "100"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
            (123e18, "123000000000000000000"), (1.5e300, "1.5e+300"), (0.000001, "0.000001"), (1e-7, "1e-7"),
            (1.2345e-7, "1.2345e-7"), (0.1, "0.1"), (1.0 / 3, "0.3333333333333333"),
            (9007199254740991, "9007199254740991"),
            (-9007199254740992, "-9007199254740992"), (18014398509481984, "18014398509481984"),
            (1732400000000, "1732400000000"),
        ] as [(Double, String)])
    func numberFormat(_ value: Double, _ expected: String) throws {
        #expect(try canonicalNumber(value) == expected)
    }

    @Test("NaN and infinities cannot be serialized", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(_ value: Double) {
        #expect(throws: JSONError.self) { try JSONValue.array([.number(value)]).canonicalBytes() }
    }

    // MARK: Accessors and Codable

    @Test("accessors return values only for the matching case and exact integers")
    func accessors() throws {
        let value: JSONValue = ["s": "x", "n": 1.5, "b": true, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.doubleValue == 1.5)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": .null])
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["s"] == nil)
        #expect(value["s"]?.doubleValue == nil)
        #expect(JSONValue.number(9007199254740991).int64Value == 9007199254740991)
        #expect(JSONValue.number(-9007199254740991).int64Value == -9007199254740991)
        #expect(JSONValue.number(9007199254740992).int64Value == nil)
        #expect(JSONValue.number(1.5).int64Value == nil)
        #expect(JSONValue.number(-0.0).uint64Value == 0)
        #expect(JSONValue.number(-1).uint64Value == nil)
        #expect(JSONValue.number(9007199254740991).uint64Value == 9007199254740991)
        #expect(JSONValue.number(.nan).int64Value == nil)
    }

    struct Event: Codable, Equatable {
        let amount: UInt64
        let at: Int64
        let delta: Int64
        let asset: String
        let memo: String?
        let ratio: Double
        let tags: [String]
    }

    @Test("a struct with Int64/UInt64 fields round-trips exactly")
    func codableRoundTrip() throws {
        let event = Event(
            amount: 9_007_199_254_740_991, at: 1_732_400_000_000, delta: -9_007_199_254_740_991,
            asset: "USDC/é", memo: nil, ratio: 0.1, tags: ["b", "a"])
        let value = try JSONValue(encoding: event)
        #expect(value["amount"]?.uint64Value == 9_007_199_254_740_991)
        #expect(value["at"]?.int64Value == 1_732_400_000_000)
        #expect(
            try value.canonicalString()
                == #"{"amount":9007199254740991,"asset":"USDC/é","at":1732400000000,"delta":-9007199254740991,"ratio":0.1,"tags":["b","a"]}"#
        )
        #expect(try value.decode(Event.self) == event)
    }

    @Test("integers a double would round are refused when encoding")
    func encodingRefusesInexactIntegers() {
        #expect(throws: JSONError.self) { try JSONValue(encoding: ["n": UInt64.max]) }
        #expect(throws: JSONError.self) { try JSONValue(encoding: [Int64.min]) }
        #expect(throws: JSONError.self) { try JSONValue(encoding: 9_007_199_254_740_993 as UInt64) }
        #expect(throws: JSONError.self) { try JSONValue(encoding: [Double.nan]) }
    }

    @Test("decoding the wrong shape throws JSONError with a one-line reason")
    func decodeMismatch() throws {
        let error = #expect(throws: JSONError.self) { try JSONValue.object(["amount": "x"]).decode(Event.self) }
        #expect(error?.reason.contains("\n") == false)
    }

    /// A member's path is made only when needed (a nested container, an error): errors still name the whole path.
    @Test("decoding errors name the member's path, at a leaf and in nested objects and arrays")
    func decodeErrorPaths() throws {
        struct Outer: Decodable { let inner: Inner; let list: [Inner] }
        struct Inner: Decodable { let n: UInt8; let s: String }
        let good: JSONValue = ["inner": ["n": 1, "s": "x"], "list": [["n": 2, "s": "y"]]]
        #expect(try good.decode(Outer.self).list[0].n == 2)
        let cases: [(JSONValue, String)] = [
            (["inner": ["n": 1, "s": 5], "list": []], "inner.s: expected String, found a number"),
            (["inner": ["n": 300, "s": "x"], "list": []], "inner.n: 300 does not fit UInt8"),
            (["inner": ["n": 1.5, "s": "x"], "list": []], "inner.n: 1.5 is not an exact integer"),
            (["inner": ["n": 1, "s": "x"], "list": [["n": 2, "s": nil]]], "list.s: null for 's'"),
            (["inner": ["n": 1], "list": []], "inner: no value for key 's'"),
            (["inner": "x", "list": []], "inner: expected Dictionary<String, JSONValue>, found a string"),
        ]
        for (value, reason) in cases {
            let error = #expect(throws: JSONError.self) { try value.decode(Outer.self) }
            #expect(error?.reason == "cannot decode Outer: \(reason)")
        }
    }

    @Test("JSONValue itself encodes and decodes as natural JSON")
    func jsonValueCodable() throws {
        let value: JSONValue = ["a": [1, 2.5, "x", true, nil, [:]], "b": ["c": -3]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONValue.parse(data) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        #expect(try JSONValue(encoding: value) == value)
        #expect(try value.decode(JSONValue.self) == value)
    }
}
