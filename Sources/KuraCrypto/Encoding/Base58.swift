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
        let input = Array(text.utf8)
        let ones = input.prefix { $0 == alphabet[0] }.count
        // Big-endian bytes, filled from the end (log 58 / log 256 < 0.733).
        let size = (input.count - ones) * 733 / 1000 + 1
        var bytes = [UInt8](repeating: 0, count: size)
        var length = 0
        for char in input[ones...] {
            let value = decodeTable[Int(char)]
            guard value >= 0 else { return nil }
            var carry = Int(value)
            var used = 0
            var k = size - 1
            while (carry != 0 || used < length) && k >= 0 {
                carry += Int(bytes[k]) * 58
                bytes[k] = UInt8(carry & 0xff)
                carry >>= 8
                used += 1
                k -= 1
            }
            length = used
        }
        return [UInt8](repeating: 0, count: ones) + bytes[(size - length)...]
    }
}
