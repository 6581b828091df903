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
        // Big-endian base-58 digits, built by repeated multiply-add (input is small: IDs and signatures).
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 1)
        for byte in input[zeros...] {
            var carry = Int(byte)
            for i in digits.indices.reversed() {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.insert(UInt8(carry % 58), at: 0)
                carry /= 58
            }
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.append(contentsOf: digits.map { alphabet[Int($0)] })
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base58 text; nil for any character outside the alphabet (including whitespace).
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        let ones = input.prefix { $0 == alphabet[0] }.count
        var bytes: [UInt8] = []
        for char in input[ones...] {
            let value = decodeTable[Int(char)]
            guard value >= 0 else { return nil }
            var carry = Int(value)
            for i in bytes.indices.reversed() {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xff), at: 0)
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + bytes
    }
}
