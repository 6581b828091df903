import Foundation

/// Base64 (RFC 4648): the standard padded alphabet for keys and signatures on the wire, and the
/// unpadded URL-safe alphabet for JWS.
public enum Base64 {
    /// Standard alphabet, padded.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Decodes standard padded base64; nil for anything else (no whitespace, no missing padding).
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0,
            text.utf8.allSatisfy({ isStandard($0) })
        else { return nil }
        guard let data = Data(base64Encoded: text) else { return nil }
        let bytes = [UInt8](data)
        // Refuse non-canonical encodings (stray bits in the last character) so one value has one text.
        return encode(bytes) == text ? bytes : nil
    }

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

    private static func isStandard(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 43 || c == 47 || c == 61
    }

    private static func isURLSafe(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95
    }
}
