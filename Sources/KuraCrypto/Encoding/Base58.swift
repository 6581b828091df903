/// Base58 with the Bitcoin alphabet; leading zero bytes become leading `1`s.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// Encodes bytes as Base58 text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix { $0 == 0 }.count
        // Big-endian base-58 digits in a buffer of the largest size needed (log 256 / log 58 < 1.38), filled
        // from the end by repeated multiply-add; `length` digits are in use.
        let size = (input.count - zeros) * 138 / 100 + 1
        var digits = [UInt8](repeating: 0, count: size)
        var length = 0
        for byte in input[zeros...] {
            var carry = Int(byte)
            var used = 0
            var k = size - 1
            while (carry != 0 || used < length) && k >= 0 {
                carry += Int(digits[k]) << 8
                digits[k] = UInt8(carry % 58)
                carry /= 58
                used += 1
                k -= 1
            }
            length = used
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + length)
        for digit in digits[(size - length)...] { out.append(alphabet[Int(digit)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base58 text; nil for any character outside the alphabet (including whitespace).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { input -> [UInt8]? in
            var ones = 0
            while ones < input.count, input[ones] == alphabet[0] { ones += 1 }
            // The number in 32-bit limbs, most significant first, filled from the end; five characters at a
            // time (58^5 < 2^32), so a 44-character key takes 9 passes over at most 8 limbs.
            let size = ((input.count - ones) * 733 / 1000 + 1) / 4 + 1
            var limbs = [UInt32](repeating: 0, count: size)
            var length = 0
            var i = ones
            while i < input.count {
                var chunk: UInt64 = 0
                var multiplier: UInt64 = 1
                for _ in 0..<min(5, input.count - i) {
                    let value = decodeTable[Int(input[i])]
                    guard value >= 0 else { return nil }
                    chunk = chunk * 58 + UInt64(value)
                    multiplier *= 58
                    i += 1
                }
                var carry = chunk
                var used = 0
                var k = size - 1
                while (carry != 0 || used < length) && k >= 0 {
                    carry += UInt64(limbs[k]) * multiplier
                    limbs[k] = UInt32(truncatingIfNeeded: carry)
                    carry >>= 32
                    used += 1
                    k -= 1
                }
                length = used
            }
            var out = [UInt8](repeating: 0, count: ones)
            out.reserveCapacity(ones + length * 4)
            var significant = false
            for limb in limbs[(size - length)...] {
                for shift in stride(from: 24, through: 0, by: -8) {
                    let byte = UInt8(truncatingIfNeeded: limb >> UInt32(shift))
                    if byte != 0 { significant = true }
                    if significant { out.append(byte) }
                }
            }
            return out
        }
    }
}
