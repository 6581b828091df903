import Foundation

/// Base64 (RFC 4648): the standard padded alphabet for keys and signatures on the wire, and the
/// unpadded URL-safe alphabet for JWS.
public enum Base64 {
    /// Standard alphabet, padded.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Decodes standard padded base64; nil for anything else (no whitespace, no missing padding).
    /// Non-canonical encodings (stray bits in the last character) are refused too, so one value has one text.
    /// One pass over the text (it decodes every x402 Solana transaction, so it is on the verification path).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { input -> [UInt8]? in
            guard input.count % 4 == 0 else { return nil }
            guard !input.isEmpty else { return [] }
            let padding = input[input.count - 1] != 61 ? 0 : input[input.count - 2] != 61 ? 1 : 2
            var out = [UInt8]()
            out.reserveCapacity(input.count / 4 * 3 - padding)
            var i = 0
            while i < input.count {
                let last = i + 4 == input.count
                let c0 = decodeTable[Int(input[i])]
                let c1 = decodeTable[Int(input[i + 1])]
                let c2 = last && padding == 2 ? 0 : decodeTable[Int(input[i + 2])]
                let c3 = last && padding >= 1 ? 0 : decodeTable[Int(input[i + 3])]
                guard c0 | c1 | c2 | c3 >= 0 else { return nil }
                let quad = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
                out.append(UInt8(truncatingIfNeeded: quad >> 16))
                if last && padding == 2 {
                    guard quad & 0xFFFF == 0 else { return nil }
                } else if last && padding == 1 {
                    guard quad & 0xFF == 0 else { return nil }
                    out.append(UInt8(truncatingIfNeeded: quad >> 8))
                } else {
                    out.append(UInt8(truncatingIfNeeded: quad >> 8))
                    out.append(UInt8(truncatingIfNeeded: quad))
                }
                i += 4
            }
            return out
        }
    }

    /// Each byte's 6-bit value in the standard alphabet, −1 for anything else (`=` included).
    static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// URL-safe alphabet without padding (RFC 4648 section 5, as JWS uses it).
    public static func urlEncode(_ bytes: some Collection<UInt8>) -> String {
        // Mapped byte by byte: Foundation's replacingOccurrences cost more than the encoding itself.
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        for c in encode(bytes).utf8 where c != 61 {
            out.append(c == 43 ? 45 : c == 47 ? 95 : c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes URL-safe unpadded base64; nil for padding, standard-only characters or bad length.
    public static func urlDecode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ isURLSafe($0) }), text.utf8.count % 4 != 1 else { return nil }
        var standard: [UInt8] = text.utf8.map { $0 == 45 ? 43 : $0 == 95 ? 47 : $0 }
        while standard.count % 4 != 0 { standard.append(61) }
        return decode(String(decoding: standard, as: UTF8.self))
    }

    private static func isURLSafe(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95
    }
}
