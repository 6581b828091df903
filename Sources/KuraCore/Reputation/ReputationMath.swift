/// The integer arithmetic behind Meishi scores. Everything is exact integer work (no `exp`, `log`, `pow`
/// or floating point), so any machine and any language with 128-bit (or big) integers gets the same bits.
/// Docs/reputation.md states each function so that it can be rewritten from the text alone.
public enum ReputationMath {
    /// Fractional bits of a decay tick: a half-life is 2^16 ticks.
    public static let tickBits = 16

    /// The decay tick of a time: `floor(max(0, at) × 2^16 / halfLifeMs)`.
    public static func tick(_ at: Timestamp, halfLifeMs: Int64) -> UInt64 {
        let ms = UInt64(max(0, at.milliseconds))
        let (high, low) = ms.multipliedFullWidth(by: 1 << UInt64(tickBits))
        let divisor = UInt64(max(1, halfLifeMs))
        // The quotient fits 64 bits unless the time is beyond 2^48 half-lives; saturate there.
        guard high < divisor else { return .max }
        return divisor.dividingFullWidth((high, low)).quotient
    }

    /// `2^(-2^-i)` in Q32 (times 2^32, rounded down) for i = 1…16: c[1] = isqrt(2^63), then
    /// c[i+1] = isqrt(c[i] × 2^32), each the integer square root of the one before, scaled.
    public static let halvingRoots: [UInt64] = {
        var roots: [UInt64] = []
        var previous: UInt128 = 1 << 31  // 2^-1 in Q32
        for _ in 1...tickBits {
            let root = UInt64(isqrt(previous << 32))
            roots.append(root)
            previous = UInt128(root)
        }
        return roots
    }()

    /// `value × 2^(-ticks / 2^16)`, rounded down at every step: first one multiply-and-shift by
    /// `halvingRoots[i-1]` (`(v × c) >> 32`) for each set bit of the tick fraction, from the 2^-1 bit
    /// down to the 2^-16 bit, then a right shift by the whole half-lives.
    public static func decay(_ value: UInt64, ticks: UInt64) -> UInt64 {
        guard ticks > 0, value > 0 else { return value }
        let whole = ticks >> UInt64(tickBits)
        guard whole < 64 else { return 0 }
        var result = value
        let fraction = ticks & ((1 << UInt64(tickBits)) - 1)
        for i in 1...tickBits where fraction & (1 << UInt64(tickBits - i)) != 0 {
            let (high, low) = result.multipliedFullWidth(by: halvingRoots[i - 1])
            result = (high << 32) | (low >> 32)
        }
        return result >> whole
    }

    /// The number of bits of `units` (0 for 0): the log scale of a payment's weight.
    public static func bitLength(_ units: UInt64) -> UInt64 { UInt64(64 - units.leadingZeroBitCount) }

    /// The integer square root, rounded down.
    public static func isqrt(_ n: UInt128) -> UInt128 {
        guard n > 1 else { return n }
        // Newton's method from an upper bound: 2^ceil(bits/2) ≥ sqrt(n).
        let bits = 128 - n.leadingZeroBitCount
        var x: UInt128 = 1 << UInt128((bits + 1) / 2)
        while true {
            let next = (x + n / x) / 2
            if next >= x { return x }
            x = next
        }
    }

    /// `a × b / c`, rounded down, with a 128-bit product (c > 0).
    public static func mulDiv(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        UInt64(clamping: UInt128(a) * UInt128(b) / UInt128(c))
    }
}
