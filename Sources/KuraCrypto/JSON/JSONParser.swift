extension JSONValue {
    /// Parses one JSON text strictly: RFC 8259 grammar plus the I-JSON (RFC 7493) limits that
    /// RFC 8785 requires.
    ///
    /// Rejected: trailing data after the value, duplicate object keys, lone surrogates (escaped or
    /// UTF-8 encoded), any invalid UTF-8, numbers whose magnitude overflows a double (`1e400`),
    /// leading zeros, raw control characters in strings, a byte order mark, nesting deeper than
    /// 512 arrays/objects, and a non-integer that a double rounds to an integer of at most 2^53
    /// (`0.99999999999999999`, which would read as the exact integer 1). A number that underflows
    /// (`1e-400`) is accepted as `0`, because 0 is the double nearest to it and it round-trips as such.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        try parse(bytes, exactIntegers: false)
    }

    /// Parses the UTF-8 of `text` with the same strict rules as the byte-collection overload.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(text.utf8, exactIntegers: false)
    }

    /// - Parameter exactIntegers: also reject integer literals above 2^53, which a double
    ///   would silently round; used where the text came from exact Swift integers.
    static func parse(_ bytes: some Collection<UInt8>, exactIntegers: Bool) throws(JSONError) -> JSONValue {
        try JSONParser.reading(bytes, exactIntegers: exactIntegers) { parser throws(JSONError) in
            try parser.parseDocument()
        }
    }
}

extension JSONValue {
    /// One top-level member of a JSON object, read without building the others: they are checked as
    /// ``parse(_:)`` checks them (grammar, UTF-8, numbers, depth), except that a duplicate key is found only
    /// among the object's own keys, not inside a skipped value. nil if the object has no such member.
    ///
    /// For bytes whose whole value is not needed: the writer's catch-up reads only the `postings` of every event
    /// another node appended, inside the write lock (issue 16).
    public static func member(_ name: String, ofObject bytes: some Collection<UInt8>) throws(JSONError)
        -> JSONValue?
    {
        try JSONParser.reading(bytes, exactIntegers: false) { parser throws(JSONError) in try parser.parseMember(name) }
    }
}

/// A recursive-descent reader over raw bytes; no Foundation, one pass, no backtracking.
struct JSONParser {
    static let maxDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    let exactIntegers: Bool
    var pos = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, exactIntegers: Bool) {
        self.bytes = bytes
        self.exactIntegers = exactIntegers
    }

    /// Runs `read` on a parser over `bytes`, in place when they are contiguous.
    static func reading<T>(
        _ bytes: some Collection<UInt8>, exactIntegers: Bool, _ read: (inout JSONParser) throws(JSONError) -> T
    ) throws(JSONError) -> T {
        // Typed throws do not pass through `rethrows` closures, so the result travels as a Result.
        func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<T, JSONError> {
            var parser = JSONParser(bytes: buffer, exactIntegers: exactIntegers)
            return Result { () throws(JSONError) in try read(&parser) }
        }
        return try bytes.withBytesInPlaceOrCopied(run).get()
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard pos == bytes.count else { throw unexpected("after the JSON value") }
        return value
    }

    /// The document is an object; answers its member `name`, building no other value.
    mutating func parseMember(_ name: String) throws(JSONError) -> JSONValue? {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { throw unexpected("where an object was expected") }
        try enterContainer()
        var found: JSONValue?
        var keys: Set<String> = []
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            pos += 1
        } else {
            while true {
                skipWhitespace()
                let keyOffset = pos
                guard peek == UInt8(ascii: "\"") else { throw unexpected("where an object key was expected") }
                let key = try parseString()
                guard keys.insert(key).inserted else { throw error("duplicate object key \"\(key)\"", at: keyOffset) }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw unexpected("where ':' was expected") }
                pos += 1
                skipWhitespace()
                if key == name { found = try parseValue() } else { try skipValue() }
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    pos += 1
                    continue
                }
                guard peek == UInt8(ascii: "}") else { throw unexpected("where ',' or '}' was expected") }
                pos += 1
                break
            }
        }
        depth -= 1
        skipWhitespace()
        guard pos == bytes.count else { throw unexpected("after the JSON value") }
        return found
    }

    // MARK: Structure

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        switch peek {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected("where a value was expected")
        }
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            pos += 1; depth -= 1
            return .object(members)
        }
        // Most objects here have a few to a dozen members: one allocation instead of growing through 1, 2, 4, 8.
        members.reserveCapacity(8)
        while true {
            skipWhitespace()
            let keyOffset = pos
            guard peek == UInt8(ascii: "\"") else { throw unexpected("where an object key was expected") }
            let key = try parseString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw unexpected("where ':' was expected") }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            // I-JSON forbids duplicates; "last one wins" would let two readers see different objects.
            if members.updateValue(value, forKey: key) != nil {
                throw error("duplicate object key \"\(key)\"", at: keyOffset)
            }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"):
                pos += 1; depth -= 1
                return .object(members)
            default: throw unexpected("where ',' or '}' was expected")
            }
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            pos += 1; depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"):
                pos += 1; depth -= 1
                return .array(elements)
            default: throw unexpected("where ',' or ']' was expected")
            }
        }
    }

    /// Checks one value as ``parseValue()`` does and builds nothing (but escaped strings, which are rare): an
    /// object's keys are not checked for duplicates.
    private mutating func skipValue() throws(JSONError) {
        switch peek {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = peek == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            try enterContainer()
            skipWhitespace()
            if peek == close {
                pos += 1; depth -= 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    guard peek == UInt8(ascii: "\"") else { throw unexpected("where an object key was expected") }
                    try skipString()
                    skipWhitespace()
                    guard peek == UInt8(ascii: ":") else { throw unexpected("where ':' was expected") }
                    pos += 1
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    pos += 1
                } else if peek == close {
                    pos += 1; depth -= 1
                    return
                } else {
                    throw unexpected(isObject ? "where ',' or '}' was expected" : "where ',' or ']' was expected")
                }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw unexpected("where a value was expected")
        }
    }

    /// Consumes the opening bracket; the depth limit keeps hostile input from exhausting the stack.
    private mutating func enterContainer() throws(JSONError) {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)", at: pos) }
        depth += 1
        pos += 1
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let start = pos
        let matches = word.withUTF8Buffer { w in
            bytes.count - pos >= w.count && w.indices.allSatisfy { bytes[pos + $0] == w[$0] }
        }
        guard matches else { throw error("invalid literal, expected \(word)", at: start) }
        pos += word.utf8CodeUnitCount
    }

    // MARK: Strings

    /// Reads a string starting at its opening quote. Strings without escapes (the common case)
    /// are validated in place and copied once.
    private mutating func parseString() throws(JSONError) -> String {
        let open = pos
        pos += 1
        let start = pos
        while pos < bytes.count {
            switch bytes[pos] {
            case UInt8(ascii: "\""):
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                pos += 1
                return text
            case UInt8(ascii: "\\"):
                return try parseEscapedString(open: open, start: start)
            case 0..<0x20: throw controlCharacter()
            case 0x20..<0x80: pos += 1
            default: try skipUTF8Sequence()
            }
        }
        throw error("unterminated string", at: open)
    }

    /// Checks a string as ``parseString()`` does, copying nothing unless it has an escape.
    private mutating func skipString() throws(JSONError) {
        let open = pos
        pos += 1
        while pos < bytes.count {
            switch bytes[pos] {
            case UInt8(ascii: "\""):
                pos += 1
                return
            case UInt8(ascii: "\\"):
                _ = try parseEscapedString(open: open, start: open + 1)
                return
            case 0..<0x20: throw controlCharacter()
            case 0x20..<0x80: pos += 1
            default: try skipUTF8Sequence()
            }
        }
        throw error("unterminated string", at: open)
    }

    /// Continues a string at its first backslash, decoding into a scratch buffer.
    private mutating func parseEscapedString(open: Int, start: Int) throws(JSONError) -> String {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let byte = bytes[pos]
            switch byte {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"): try parseEscape(into: &utf8)
            case 0..<0x20: throw controlCharacter()
            case 0x20..<0x80:
                utf8.append(byte)
                pos += 1
            default:
                let first = pos
                try skipUTF8Sequence()
                utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[first..<pos]))
            }
        }
        throw error("unterminated string", at: open)
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONError) {
        let backslash = pos
        pos += 1
        guard pos < bytes.count else { throw error("unterminated escape", at: backslash) }
        let letter = bytes[pos]
        pos += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var unit = try hex4()
            if (0xDC00...0xDFFF).contains(unit) { throw loneSurrogate(unit, at: backslash) }
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate is only meaningful if an escaped low surrogate follows at once.
                guard bytes.count - pos >= 2, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                else { throw loneSurrogate(unit, at: backslash) }
                pos += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: backslash) }
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            utf8.append(contentsOf: UTF8.encode(Unicode.Scalar(unit)!)!)
        default:
            throw error("invalid escape \\\(Unicode.Scalar(letter))", at: backslash)
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard bytes.count - pos >= 4 else { throw error("truncated \\u escape", at: pos) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[pos]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected("in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629 Table 3): no overlong forms, no
    /// encoded surrogates, nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(JSONError) {
        let lead = bytes[pos]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: throw error("invalid UTF-8 byte 0x\(hex(lead))", at: pos)
        }
        guard bytes.count - pos >= length else { throw error("truncated UTF-8 sequence", at: pos) }
        if lead == 0xED, bytes[pos + 1] >= 0xA0 { throw error("lone surrogate encoded in UTF-8", at: pos) }
        guard second.contains(bytes[pos + 1]), (2..<length).allSatisfy({ (0x80...0xBF).contains(bytes[pos + $0]) })
        else { throw error("invalid UTF-8 sequence", at: pos) }
        pos += length
    }

    // MARK: Numbers

    /// Reads an RFC 8259 number. Up to 19 significant digits are gathered into an integer so
    /// that the common cases convert exactly without text; the rest go to the C library.
    private mutating func parseNumber() throws(JSONError) -> Double {
        let start = pos
        let negative = peek == UInt8(ascii: "-")
        if negative { pos += 1 }
        var mantissa: UInt64 = 0
        var digitCount = 0  // significant digits held in `mantissa`
        var truncated = false
        var exponent = 0

        /// Adds a digit to the mantissa; false if it no longer fits and was dropped.
        func accumulate(_ digit: UInt8) -> Bool {
            if mantissa == 0 && digit == 0 { return true }
            guard digitCount < 19 else {
                if digit != 0 { truncated = true }
                return false
            }
            mantissa = mantissa * 10 + UInt64(digit)
            digitCount += 1
            return true
        }

        guard let first = digit(at: pos) else { throw unexpected("where a digit was expected") }
        pos += 1
        if first == 0 {
            if digit(at: pos) != nil { throw error("leading zero in number", at: start) }
        } else {
            _ = accumulate(first)
            while let d = digit(at: pos) {
                if !accumulate(d) { exponent += 1 }
                pos += 1
            }
        }
        var isInteger = true
        if peek == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard digit(at: pos) != nil else { throw unexpected("where a fraction digit was expected") }
            while let d = digit(at: pos) {
                if accumulate(d) { exponent -= 1 }
                pos += 1
            }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            var exponentSign = 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                if peek == UInt8(ascii: "-") { exponentSign = -1 }
                pos += 1
            }
            guard digit(at: pos) != nil else { throw unexpected("where an exponent digit was expected") }
            var written = 0
            while let d = digit(at: pos) {
                // Beyond a million the result is 0 or infinity anyway; capping avoids overflow.
                if written < 1_000_000 { written = written * 10 + Int(d) }
                pos += 1
            }
            exponent += exponentSign * written
        }

        if exactIntegers && isInteger && mantissa > 1 << 53 {  // 19 kept digits already exceed it
            throw error("integer too large to be exact in a double (> 2^53)", at: start)
        }
        let value: Double
        if mantissa == 0 {
            value = negative ? -0.0 : 0
        } else if !truncated && mantissa <= 1 << 53 && (-22...22).contains(exponent) {
            // Clinger's fast path: both operands are exact doubles, so one rounding gives the
            // correctly rounded result.
            let scale = Self.powersOfTen[abs(exponent)]
            let magnitude = exponent < 0 ? Double(mantissa) / scale : Double(mantissa) * scale
            value = negative ? -magnitude : magnitude
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            guard let parsed = Double(text) else { throw error("invalid number", at: start) }
            guard parsed.isFinite else { throw error("number out of range for a double", at: start) }
            value = parsed
        }
        // A fraction the double rounds away (0.99999999999999999 is 1.0) would be read as an exact integer (an
        // amount, a count) that the sender never wrote: refused, as a fraction that survives is refused there.
        if !isInteger, value != 0, value.magnitude <= 0x1p53, value.rounded(.towardZero) == value,
            !Self.isIntegral(mantissa: mantissa, exponent: exponent, truncated: truncated)
        {
            throw error("a fraction lost to rounding: the number is not an integer, but reads as one", at: start)
        }
        return value
    }

    /// Whether `mantissa × 10^exponent` (with nonzero digits dropped past the 19th when `truncated`) is an
    /// integer. Asked only of values below 2^53, at most 16 integer digits: a dropped digit is then a fraction.
    private static func isIntegral(mantissa: UInt64, exponent: Int, truncated: Bool) -> Bool {
        if truncated { return false }
        var mantissa = mantissa
        var exponent = exponent
        while exponent < 0 && mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        return exponent >= 0
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    // MARK: Bytes

    /// The current byte, or 0 at the end; 0 is never valid where `peek` is consulted.
    private var peek: UInt8 { pos < bytes.count ? bytes[pos] : 0 }

    private func digit(at index: Int) -> UInt8? {
        guard index < bytes.count else { return nil }
        let d = bytes[index] &- UInt8(ascii: "0")
        return d < 10 ? d : nil
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    // MARK: Errors

    private func error(_ what: String, at offset: Int) -> JSONError {
        JSONError(reason: "\(what) at byte \(offset)", offset: offset)
    }

    private func unexpected(_ context: String) -> JSONError {
        guard pos < bytes.count else { return error("unexpected end of input", at: pos) }
        let byte = bytes[pos]
        let shown = (0x21..<0x7F).contains(byte) ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(hex(byte))"
        return error("unexpected \(shown) \(context)", at: pos)
    }

    private func controlCharacter() -> JSONError {
        error("raw control character 0x\(hex(bytes[pos])) in string", at: pos)
    }

    private func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONError {
        error("lone surrogate \\u\(hex(unit, width: 4))", at: offset)
    }

    private func hex(_ value: some BinaryInteger, width: Int = 2) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
