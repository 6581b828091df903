/// Reads the little-endian, compact-u16-prefixed wire format of Solana messages from a byte array. Every
/// read checks the bytes left, so a short or hostile input is a ``SolanaError``, never an out-of-bounds trap.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte(_ what: String) throws(SolanaError) -> UInt8 {
        guard offset < bytes.count else { throw SolanaError(.truncated, "the bytes end before \(what)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func take(_ count: Int, _ what: String) throws(SolanaError) -> [UInt8] {
        guard count <= remaining else {
            throw SolanaError(.truncated, "\(what) needs \(count) bytes, \(remaining) are left")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A compact-u16 (Solana's `short_vec` length): 7 bits a byte, low first, at most 3 bytes, shortest form
    /// only (a zero byte after the first is an alias of a shorter encoding, as `solana-short-vec` rules).
    mutating func compactU16(_ what: String) throws(SolanaError) -> Int {
        var value = 0
        for index in 0..<3 {
            let byte = try self.byte("the length of \(what)")
            if byte == 0 && index > 0 {
                throw SolanaError(.invalidCompactU16, "the length of \(what) is not in its shortest form")
            }
            value |= Int(byte & 0x7F) << (7 * index)
            if byte & 0x80 == 0 {
                guard value <= Int(UInt16.max) else {
                    throw SolanaError(.invalidCompactU16, "the length of \(what) is above 65535")
                }
                return value
            }
        }
        throw SolanaError(.invalidCompactU16, "the length of \(what) runs past 3 bytes")
    }

    /// A compact-u16 length and that many bytes.
    mutating func shortBytes(_ what: String) throws(SolanaError) -> [UInt8] {
        let count = try compactU16(what)
        return try take(count, what)
    }
}

/// Writes the wire format ``ByteReader`` reads.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func compactU16(_ value: Int) {
        precondition(value >= 0 && value <= Int(UInt16.max), "compact-u16 out of range: \(value)")
        var rest = value
        while true {
            let low = UInt8(rest & 0x7F)
            rest >>= 7
            if rest == 0 {
                bytes.append(low)
                return
            }
            bytes.append(low | 0x80)
        }
    }

    mutating func shortBytes(_ data: [UInt8]) {
        compactU16(data.count)
        bytes.append(contentsOf: data)
    }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }
    mutating func append(contentsOf data: [UInt8]) { bytes.append(contentsOf: data) }
}

/// Little-endian integers of instruction data.
enum LittleEndian {
    static func uint64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func uint32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func bytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
