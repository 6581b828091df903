import CLibPQ

/// The type OIDs (from `pg_type`, fixed since PostgreSQL 7) whose binary forms Kura reads and writes,
/// and those binary forms.
enum PostgresType {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let char: Oid = 18
    static let name: Oid = 19
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let text: Oid = 25
    static let oid: Oid = 26
    static let json: Oid = 114
    static let unknown: Oid = 705
    static let bpchar: Oid = 1042
    static let varchar: Oid = 1043
    static let numeric: Oid = 1700
    static let void: Oid = 2278
    static let jsonb: Oid = 3802

    /// Types whose binary form is the text's UTF-8 bytes.
    static func isTextual(_ type: Oid) -> Bool {
        type == text || type == varchar || type == bpchar || type == name || type == json || type == unknown
    }

    /// Decodes a binary integer of `type` (big-endian fixed width, or an integral `numeric`).
    static func integer(_ raw: UnsafeRawBufferPointer, type: Oid) -> Int64? {
        switch type {
        case int8: return raw.count == 8 ? Int64(bigEndian: raw.loadUnaligned(as: Int64.self)) : nil
        case int4: return raw.count == 4 ? Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self))) : nil
        case oid: return raw.count == 4 ? Int64(UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))) : nil
        case int2: return raw.count == 2 ? Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self))) : nil
        case bool: return raw.count == 1 ? Int64(raw[0]) : nil
        case numeric: return numericInteger(raw)
        default: return nil
        }
    }

    /// An integral `numeric` in binary form (ndigits, weight, sign, dscale, then base-10000 digits), or nil
    /// when it has a fraction, is NaN or infinite, or does not fit in 64 bits.
    static func numericInteger(_ raw: UnsafeRawBufferPointer) -> Int64? {
        guard raw.count >= 8 else { return nil }
        func word(_ index: Int) -> UInt16 { UInt16(raw[index * 2]) << 8 | UInt16(raw[index * 2 + 1]) }
        let digits = Int(word(0))
        let weight = Int(Int16(bitPattern: word(1)))
        let sign = word(2)
        guard raw.count == 8 + digits * 2, sign == 0x0000 || sign == 0x4000 else { return nil }
        guard digits > 0 else { return 0 }
        // Digit i is worth 10000^(weight - i): any non-zero digit past position `weight` is a fraction.
        for position in 0..<digits where position > weight && word(4 + position) != 0 { return nil }
        guard weight >= 0 else { return nil }
        var value: Int64 = 0
        for position in 0...weight {
            let digit = position < digits ? Int64(word(4 + position)) : 0
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10000)
            let (sum, carry) = scaled.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return sign == 0x4000 ? -value : value
    }

    /// Any finite `numeric` in binary form as decimal text (`-0.00012`), or "NaN".
    static func numericText(_ raw: UnsafeRawBufferPointer) -> String {
        guard raw.count >= 8 else { return "NaN" }
        func word(_ index: Int) -> UInt16 { UInt16(raw[index * 2]) << 8 | UInt16(raw[index * 2 + 1]) }
        let digits = Int(word(0))
        let weight = Int(Int16(bitPattern: word(1)))
        let sign = word(2)
        let scale = Int(word(3))
        guard raw.count == 8 + digits * 2, sign == 0x0000 || sign == 0x4000 else { return "NaN" }
        func digit(_ position: Int) -> Int { position >= 0 && position < digits ? Int(word(4 + position)) : 0 }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(digit(0))
            for position in stride(from: 1, through: weight, by: 1) {
                text += String(digit(position)).leftPadded(to: 4)
            }
        }
        if scale > 0 {
            var fraction = ""
            var position = weight + 1
            while fraction.count < scale {
                fraction += String(digit(position)).leftPadded(to: 4)
                position += 1
            }
            text += "." + fraction.prefix(scale)
        }
        return text
    }
}
