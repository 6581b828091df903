import KuraCrypto
import Testing

/// Strings and integers as both canonical writers write them, against a one-character-at-a-time reference of
/// RFC 8785's string rules written here: the writers look for escapes eight bytes at a time and copy the runs
/// between them, so every byte value is placed at every offset of a word, and around the words' ends.
struct CanonicalStringTests {
    /// RFC 8785 section 3.2.2.2, one scalar at a time: the two-character escapes, `\u00xx` in lowercase for the
    /// other control characters, everything else as its UTF-8.
    static func reference(_ string: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: out += Array("\\\"".utf8)
            case 0x5C: out += Array("\\\\".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 0xF)]]
            default: out += Array(String(scalar).utf8)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    /// A one-member object holding `string`, written member by member.
    static func written(_ string: String) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 4)
        json.string("s", string)
        return json.finish()
    }

    @Test("every ASCII byte at every offset of strings up to 19 bytes, as the reference escapes it")
    func everyByteEverywhere() throws {
        var checked = 0
        for length in 1...19 {
            for offset in 0..<length {
                for byte in UInt8(0)..<0x80 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[offset] = byte
                    let string = String(decoding: bytes, as: UTF8.self)
                    let expected = Array("{\"s\":".utf8) + Self.reference(string) + [UInt8(ascii: "}")]
                    #expect(Self.written(string) == expected, "byte \(byte) at \(offset) of \(length)")
                    #expect(try JSONValue.string(string).canonicalBytes() == Self.reference(string))
                    checked += 1
                }
            }
        }
        #expect(checked == 128 * (1...19).reduce(0, +))
    }

    @Test("escapes next to each other, at both ends, beside non-ASCII, and long strings that grow the buffer")
    func runsAndGrowth() throws {
        let strings = [
            "", "\"", "\\\\", "\u{0}\u{1f}", "\"a\"", "ab\ncd\tef\u{7}gh\"ij\\kl", "é\u{1}ü\"€\\𝄞\n",
            String(repeating: "\u{2028}x\u{7f}y", count: 50), String(repeating: "0123456789abcdef", count: 300),
            String(repeating: "\"", count: 1000),
        ]
        for string in strings {
            #expect(Self.written(string) == Array("{\"s\":".utf8) + Self.reference(string) + [UInt8(ascii: "}")])
            #expect(try JSONValue.string(string).canonicalBytes() == Self.reference(string))
        }
    }

    @Test("a copy of a half-written writer keeps its own bytes")
    func copiesAreValues() throws {
        var first = CanonicalObjectWriter(capacity: 4)
        try first.integer("a", 1)
        var second = first
        try first.integer("b", 2)
        second.string("c", "three")
        #expect(String(decoding: first.finish(), as: UTF8.self) == #"{"a":1,"b":2}"#)
        #expect(String(decoding: second.finish(), as: UTF8.self) == #"{"a":1,"c":"three"}"#)
    }

    @Test("integers at every digit count, both signs, as their decimal text")
    func integers() throws {
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 9_007_199_254_740_991]
        var power: Int64 = 1
        for _ in 0..<16 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        for value in values where value.magnitude <= 9_007_199_254_740_991 {
            for signed in value == 0 ? [value] : [value, -value] {
                var json = CanonicalObjectWriter(capacity: 4)
                try json.integer("n", signed)
                try json.unsigned("u", value.magnitude)
                #expect(String(decoding: json.finish(), as: UTF8.self) == "{\"n\":\(signed),\"u\":\(value.magnitude)}")
            }
        }
    }
}

/// Hex against a table written here, for every byte value, in both writers, and back.
struct HexTests {
    @Test("every byte value encodes to its two lowercase digits, alone and in a run, and decodes back")
    func everyByte() {
        let digits = Array("0123456789abcdef")
        let all = (0...255).map { UInt8($0) }
        let expected = String(all.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
        #expect(Hex.encode(all) == expected)
        var appended: [UInt8] = []
        Hex.append(all, to: &appended)
        #expect(String(decoding: appended, as: UTF8.self) == expected)
        for byte in all { #expect(Hex.encode([byte]) == String(expected.dropFirst(2 * Int(byte)).prefix(2))) }
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.decode(expected) == all)
        #expect(Hex.decode(expected.uppercased()) == all)
    }
}
