/// Fast strict decoding of the one base64 shape proofs are made of: 32 bytes as 44 characters of
/// standard padded base64. Gives exactly what ``Base64/decode(_:)`` gives for such text (canonical
/// encodings only), without the round trip through Foundation, because a bundle holds a dozen or
/// more of them and offline verification is meant to run at tens of thousands of bundles a second.
enum HashBase64 {
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return table
    }()

    /// The 32 bytes, or `nil` for anything other than canonical padded base64 of exactly 32 bytes.
    static func decode32(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { chars -> [UInt8]? in
            guard chars.count == 44, chars[43] == UInt8(ascii: "=") else { return nil }
            var out = [UInt8](repeating: 0, count: 32)
            var acc: UInt32 = 0
            var bits = 0
            var o = 0
            for i in 0..<43 {
                let v = values[Int(chars[i])]
                guard v != 0xFF else { return nil }
                acc = acc << 6 | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out[o] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                    o += 1
                }
            }
            // 43 characters carry 258 bits: the last 2 must be zero in a canonical encoding.
            guard acc & 0b11 == 0 else { return nil }
            return out
        }
    }
}
