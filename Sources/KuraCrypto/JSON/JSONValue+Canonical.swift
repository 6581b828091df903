extension JSONValue {
    /// The RFC 8785 (JCS) canonical UTF-8 bytes of this value: members sorted by UTF-16 code
    /// units, minimal string escaping, ECMAScript number text, no whitespace.
    ///
    /// Throws for NaN or an infinity, which JSON cannot express.
    public func canonicalBytes() throws(JSONError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try CanonicalWriter.write(self, to: &out)
        return out
    }

    /// The canonical form as text; see ``canonicalBytes()``.
    public func canonicalString() throws(JSONError) -> String {
        String(decoding: try canonicalBytes(), as: UTF8.self)
    }

    /// Parses `bytes` strictly (see `JSONValue.parse(_:)`) and returns their canonical form.
    public static func canonicalize(_ bytes: some Collection<UInt8>) throws(JSONError) -> [UInt8] {
        try parse(bytes).canonicalBytes()
    }
}

/// The JCS serializer: appends into one byte buffer, no Foundation, no intermediate strings.
enum CanonicalWriter {
    static func write(_ value: JSONValue, to out: inout some CanonicalOutput) throws(JSONError) {
        switch value {
        case .null: out.append(literal: "null")
        case .bool(true): out.append(literal: "true")
        case .bool(false): out.append(literal: "false")
        case .number(let n):
            guard n.isFinite else { throw JSONError(reason: "\(n) has no JSON representation") }
            ES6NumberFormat.append(n, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.sorted(by: { utf16Precedes($0.key, $1.key) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                try write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `a` sorts before `b` by UTF-16 code units (RFC 8785 section 3.2.3), computed on
    /// UTF-8 without transcoding.
    ///
    /// UTF-8 byte order equals code point order, which agrees with UTF-16 order except that
    /// U+E000…U+FFFF (lead bytes EE, EF) sort after supplementary characters in UTF-16 (their
    /// surrogates start at D800). Equal prefixes put both strings on the same character boundary,
    /// so moving lead bytes EE/EF above F0…F4 fixes the order; continuation bytes are untouched.
    static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        func weight(_ byte: UInt8) -> UInt8 { byte == 0xEE || byte == 0xEF ? byte &+ 0x10 : byte }
        return a.utf8.lexicographicallyPrecedes(b.utf8) { weight($0) < weight($1) }
    }

    /// Writes a string with only the escapes JCS allows: `\"`, `\\`, the five short control
    /// escapes, and `\u00xx` (lowercase) for other control characters. Everything else,
    /// including `/` and non-ASCII, is copied as UTF-8.
    static func writeString(_ string: String, to out: inout some CanonicalOutput) {
        out.append(UInt8(ascii: "\""))
        // A small string (up to 15 bytes) is not copied out of the value to be read.
        if string.utf8.withContiguousStorageIfAvailable({ writeEscaped($0, to: &out) }) == nil {
            var string = string
            string.withUTF8 { writeEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `utf8` with the escapes of ``writeString(_:to:)``, each run between two escapes in one append.
    private static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout some CanonicalOutput) {
        let bytes = UnsafeRawBufferPointer(utf8)
        var runStart = 0
        var index = firstEscaped(bytes, from: 0)
        while index < bytes.count {
            out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            let byte = bytes[index]
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: out.append(UInt8(ascii: "\""))
            case 0x5C: out.append(UInt8(ascii: "\\"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                let low = byte & 0xF
                out.append(literal: "u00")
                out.append(UInt8(ascii: "0") + byte >> 4)  // 0 or 1: byte < 0x20
                out.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
            }
            runStart = index + 1
            index = firstEscaped(bytes, from: runStart)
        }
        out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
    }

    /// The index of the first byte from `start` on that is escaped (a control character, `"` or `\\`), or the
    /// count. Eight bytes at a time while none is: most strings (identifiers, hashes) have no escape at all.
    static func firstEscaped(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count,
                !holdsEscaped(base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            {
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return index }
            index += 1
        }
        return index
    }

    /// Whether one of the eight bytes of `word` is below 0x20, `"` or `\\` (the exact "has a byte less than" and
    /// "has a zero byte" tests of Anderson's *Bit Twiddling Hacks*).
    @inline(__always) static func holdsEscaped(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highs != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }
}

extension JSONValue {
    /// Appends `string` as an RFC 8785 JSON string (quotes included) to `out`, for callers that lay out
    /// a fixed canonical object by hand on a hot path.
    public static func appendCanonicalString(_ string: String, to out: inout [UInt8]) {
        CanonicalWriter.writeString(string, to: &out)
    }
}
