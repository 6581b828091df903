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
        bytes.withBytesInPlaceOrCopied(encode(buffer:))
    }

    /// The number in 32-bit limbs, most significant first, divided by 58^5 (< 2^32) again and again: each pass
    /// gives five digits, so a 16-byte identifier takes 5 passes over at most 4 limbs rather than a multiply-add
    /// over every digit for each byte (4.5 % of the writer's samples on facilitator pairs). The limbs and digits
    /// live on the stack and the text is written in place: the writer derives two identifiers per command, and
    /// the arrays each encoding allocated were most of its cost (2 % of the writer under escrow opens).
    private static func encode(buffer input: UnsafeBufferPointer<UInt8>) -> String {
        let zeros = input.prefix { $0 == 0 }.count
        let significant = input.count - zeros
        let limbCount = (significant + 3) / 4
        // Each pass divides by 58^5 > 2^29, so there are at most ⌊8n / 29⌋ + 1 passes of five digits.
        let digitCapacity = 5 * (8 * significant / 29 + 1)
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(limbCount, 1)) { limbs in
            limbs.initialize(repeating: 0)
            for offset in 0..<significant {
                let position = significant - 1 - offset  // bytes below this one
                limbs[limbCount - 1 - position / 4] |= UInt32(input[zeros + offset]) << (8 * UInt32(position % 4))
            }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digitCapacity) { digits in
                let divisor: UInt64 = 656_356_768  // 58^5
                var count = 0  // digits so far, least significant first
                var first = 0
                while first < limbCount {
                    var remainder: UInt64 = 0
                    for index in first..<limbCount {
                        let value = remainder << 32 | UInt64(limbs[index])
                        limbs[index] = UInt32(truncatingIfNeeded: value / divisor)
                        remainder = value % divisor
                    }
                    while first < limbCount, limbs[first] == 0 { first += 1 }
                    for _ in 0..<5 {
                        digits[count] = UInt8(truncatingIfNeeded: remainder % 58)
                        count += 1
                        remainder /= 58
                    }
                }
                while count > 0, digits[count - 1] == 0 { count -= 1 }
                return alphabet.withUnsafeBufferPointer { alphabet in
                    String(unsafeUninitializedCapacity: zeros + count) { text in
                        for index in 0..<zeros { text[index] = alphabet[0] }
                        for index in 0..<count { text[zeros + index] = alphabet[Int(digits[count - 1 - index])] }
                        return zeros + count
                    }
                }
            }
        }
    }

    /// Whether `text` is Base58 of 1 to `maxBytes` bytes, as `decode(text)` would say, without decoding when it
    /// need not: n characters never decode to more than n bytes (each leading "1" is one zero byte, and the rest
    /// is a number below 58^m, at most ⌈0.733·m⌉ bytes), so a text that short only needs its alphabet checked.
    ///
    /// Called from other modules this is not specialised, so the characters are checked in a contiguous buffer:
    /// element by element through the generic collection it was most of a writer's catch-up cost of reading a
    /// posting's accounts (issue 16).
    public static func isValid(_ text: some Collection<UInt8>, maxBytes: Int) -> Bool {
        text.withBytesInPlaceOrCopied { isValid(buffer: $0, maxBytes: maxBytes) }
    }

    private static func isValid(buffer text: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Bool {
        guard !text.isEmpty else { return false }
        guard text.count > maxBytes else {
            let table = decodeTable
            return text.allSatisfy { table[Int($0)] >= 0 }
        }
        guard let bytes = decode(String(decoding: text, as: UTF8.self)) else { return false }
        return bytes.count <= maxBytes
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
