import KuraCrypto
import KuraTesting
import Testing

/// `JSONValue.canonicalBytes(encoding:)` writes canonical bytes without building a `JSONValue`; it is held to
/// the two-step path it replaces, `JSONValue(encoding:).canonicalBytes()`, byte for byte and error for error.
@Suite("Canonical bytes straight from Encodable, against the JSONValue path")
struct DirectCanonicalEncodingTests {
    /// Encodes a JSON tree through keyed and unkeyed containers, as a Codable type would, never as a JSONValue.
    struct Tree: Encodable {
        let json: JSONValue

        struct Key: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            switch json {
            case .object(let members):
                var container = encoder.container(keyedBy: Key.self)
                for (key, value) in members { try container.encode(Tree(json: value), forKey: Key(stringValue: key)) }
            case .array(let elements):
                var container = encoder.unkeyedContainer()
                for element in elements { try container.encode(Tree(json: element)) }
            case .number(let n) where n == n.rounded() && abs(n) < 1e15:
                var container = encoder.singleValueContainer()
                try container.encode(Int64(n))
            case .number(let n):
                var container = encoder.singleValueContainer()
                try container.encode(n)
            case .string(let s):
                var container = encoder.singleValueContainer()
                try container.encode(s)
            case .bool(let b):
                var container = encoder.singleValueContainer()
                try container.encode(b)
            case .null:
                var container = encoder.singleValueContainer()
                try container.encodeNil()
            }
        }
    }

    /// Keys that sort differently by UTF-16, by scalar and by Swift's String order, and escapes.
    static let keys = ["a", "b", "aa", "A", "\u{E000}", "\u{1F600}", "é", "\"", "\n", "z\u{FFFF}", "", "10", "9"]

    static func randomTree(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(Double(Int64.random(in: -(1 << 53 - 1)...(1 << 53 - 1), using: &rng)))
        case 3: return .number(Double.random(in: -1e30...1e30, using: &rng))
        case 4: return .string(keys.randomElement(using: &rng)! + String(Int.random(in: 0...99, using: &rng)))
        case 5:
            return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomTree(&rng, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                members[keys.randomElement(using: &rng)!] = randomTree(&rng, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test("random trees written through containers give the JSONValue path's bytes")
    func randomTrees() throws {
        var rng = SplitMix64(seed: 0x6a63_7331)
        for _ in 0..<2_000 {
            let tree = Self.randomTree(&rng, depth: 0)
            let direct = try JSONValue.canonicalBytes(encoding: Tree(json: tree))
            #expect(direct == (try JSONValue(encoding: Tree(json: tree)).canonicalBytes()))
            #expect(direct == (try tree.canonicalBytes()))
        }
    }

    /// Writes `a` twice and `b` once, nested; and skips a nil optional.
    struct Repeated: Encodable {
        enum Key: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(1, forKey: .a)
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: .b)
            try container.encode("second", forKey: .a)
            try nested.encode(true, forKey: .c)
            try container.encodeIfPresent(String?.none, forKey: .c)
        }
    }

    @Test("a key written twice keeps its last value; a nested container filled later lands in place")
    func repeatedKeys() throws {
        let expected = Array(#"{"a":"second","b":{"c":true}}"#.utf8)
        #expect(try JSONValue.canonicalBytes(encoding: Repeated()) == expected)
        #expect(try JSONValue(encoding: Repeated()).canonicalBytes() == expected)
    }

    /// Writes the given keys in order into one container, the value of each its position (review finding: keys
    /// that Swift's `==` holds equal but that differ in bytes, "é" and "e" + U+0301).
    struct Spelled: Encodable {
        let keys: [String]
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Tree.Key.self)
            for (n, key) in keys.enumerated() { try container.encode(n, forKey: Tree.Key(stringValue: key)) }
        }
    }

    @Test("keys equal to Swift but not in bytes give the JSONValue path's bytes, in either order")
    func equivalentSpellings() throws {
        for keys in [["\u{E9}", "f", "e\u{301}"], ["e\u{301}", "f", "\u{E9}"], ["a", "\u{E9}", "e\u{301}", "a"]] {
            let value = Spelled(keys: keys)
            #expect(try JSONValue.canonicalBytes(encoding: value) == JSONValue(encoding: value).canonicalBytes())
        }
    }

    @Test("an integer beyond 2^53-1 and a non-finite number are refused, as on the JSONValue path")
    func refusals() throws {
        #expect(throws: JSONError.self) { try JSONValue.canonicalBytes(encoding: ["n": Int64(1) << 53]) }
        #expect(throws: JSONError.self) { try JSONValue.canonicalBytes(encoding: [Double.nan]) }
        #expect(throws: JSONError.self) { try JSONValue.canonicalBytes(encoding: ["v": JSONValue.number(.infinity)]) }
        #expect(
            try JSONValue.canonicalBytes(encoding: ["n": Int64(1) << 53 - 1]) == Array(#"{"n":9007199254740991}"#.utf8))
    }
}
