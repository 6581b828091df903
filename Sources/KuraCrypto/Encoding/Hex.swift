/// Lowercase hexadecimal, the form of digests on the wire.
public enum Hex {
    /// The lowercase hex digit of a nibble (0–15), without a table: a global table is a lazy global, checked at
    /// each read.
    @inlinable @inline(__always)
    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// Encodes bytes as lowercase hex. Inlinable so that it is specialised where it is called: unspecialised, each
    /// byte went through `Collection`'s witnesses, and hashing an API key spent 1 % of the server's CPU here. The
    /// digits are written straight into the string's storage (an event hash's hex, in every receipt: issue 15).
    @inlinable
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var index = 0
            for byte in bytes {
                buffer[index] = digit(byte >> 4)
                buffer[index + 1] = digit(byte & 0x0f)
                index += 2
            }
            return index
        }
    }

    /// Appends the lowercase hex of `bytes` to `out` (for text laid out by hand on hot paths).
    @inlinable
    public static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digit(byte >> 4))
            out.append(digit(byte & 0x0f))
        }
    }

    /// Decodes hex (either case); nil for odd length or any other character.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = value(chars[i]), let low = value(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
