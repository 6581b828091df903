import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// The one-pass decoders held to the obvious ones they replaced: Foundation's base64 with a canonical
/// re-encoding check, and byte-at-a-time base58, on random and near-miss inputs.
@Suite("Encoding decoders against reference decoders")
struct EncodingPropertyTests {
    /// Foundation's decoder, refusing what is not canonical padded standard base64 (the previous code).
    static func referenceBase64(_ text: String) -> [UInt8]? {
        let standard = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        guard text.utf8.count % 4 == 0, text.utf8.allSatisfy({ standard.contains($0) }),
            let data = Data(base64Encoded: text)
        else { return nil }
        let bytes = [UInt8](data)
        return Base64.encode(bytes) == text ? bytes : nil
    }

    /// Byte-at-a-time base58 encoding by repeated multiply-add (the previous code).
    static func referenceBase58Encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [UInt8] = []  // little-endian base 58
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for k in digits.indices {
                carry += Int(digits[k]) << 8
                digits[k] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        return String(repeating: "1", count: zeros)
            + String(decoding: digits.reversed().map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Byte-at-a-time base58 (the previous code).
    static func referenceBase58(_ text: String) -> [UInt8]? {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
        let input = Array(text.utf8)
        let ones = input.prefix { $0 == alphabet[0] }.count
        var number: [UInt8] = []  // little-endian
        for char in input[ones...] {
            guard let value = alphabet.firstIndex(of: char) else { return nil }
            var carry = value
            for k in number.indices {
                carry += Int(number[k]) * 58
                number[k] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                number.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + number.reversed()
    }

    @Test("base64: random bytes round-trip; random and mutated texts decode exactly as the reference does")
    func base64() {
        var rng = SplitMix64(seed: 0x6261_7365_3634)
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n".utf8)
        for _ in 0..<3_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var text = Array(Base64.encode(bytes).utf8)
            #expect(Base64.decode(String(decoding: text, as: UTF8.self)) == bytes)
            if !text.isEmpty, Bool.random(using: &rng) {
                text[Int.random(in: 0..<text.count, using: &rng)] = characters.randomElement(using: &rng)!
            } else {
                text = (0..<(4 * Int.random(in: 0...4, using: &rng))).map { _ in characters.randomElement(using: &rng)!
                }
            }
            let mutated = String(decoding: text, as: UTF8.self)
            #expect(Base64.decode(mutated) == Self.referenceBase64(mutated), "\(mutated)")
        }
        for text in ["", "=", "==", "====", "A===", "AA==", "AB==", "AAA=", "AAB=", "AAAA", "AA=A", "=AAA"] {
            #expect(Base64.decode(text) == Self.referenceBase64(text), "\(text)")
        }
    }

    @Test(
        "base58: random bytes with leading zeros encode as the reference does and round-trip; random texts decode as it does"
    )
    func base58() {
        var rng = SplitMix64(seed: 0x6261_7365_3538)
        let characters = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl".utf8)
        for _ in 0..<3_000 {
            let zeros = Int.random(in: 0...3, using: &rng)
            let bytes =
                [UInt8](repeating: 0, count: zeros)
                + (0..<Int.random(in: 0...70, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
            #expect(Base58.encode(bytes) == Self.referenceBase58Encode(bytes), "\(bytes)")
            #expect(Base58.encode(bytes.lazy.map { $0 }) == Self.referenceBase58Encode(bytes), "\(bytes)")
            #expect(Base58.encode(bytes.dropFirst()) == Self.referenceBase58Encode(Array(bytes.dropFirst())))
            let text = String(
                decoding: (0..<Int.random(in: 0...50, using: &rng)).map { _ in characters.randomElement(using: &rng)! },
                as: UTF8.self)
            #expect(Base58.decode(text) == Self.referenceBase58(text), "\(text)")
            // Validity as decoding says it, from a contiguous text and from a collection that is not one.
            for maxBytes in [16, 32] {
                let valid = Self.referenceBase58(text).map { !$0.isEmpty && $0.count <= maxBytes } ?? false
                #expect(Base58.isValid(text.utf8, maxBytes: maxBytes) == valid, "\(text)")
                #expect(Base58.isValid(text.utf8.lazy.map { $0 }, maxBytes: maxBytes) == valid, "\(text)")
            }
        }
    }
}
