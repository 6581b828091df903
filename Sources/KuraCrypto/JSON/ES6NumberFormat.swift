/// Writes a finite double the way ECMAScript's `Number.prototype.toString()` does
/// (ECMA-262 Number::toString, radix 10), which is what RFC 8785 section 3.2.2.3 requires.
///
/// The digits come from Swift's `Double.description`, which yields the shortest digit string
/// that round-trips (closest to the value on ties), exactly the digits ECMAScript asks for;
/// only their layout differs, so this re-lays them out. `String(format:)` is not used: it is
/// not shortest and its output depends on the platform.
enum ES6NumberFormat {
    /// Appends the text of `value` to `out`. `value` must be finite.
    static func append(_ value: Double, to out: inout some CanonicalOutput) {
        precondition(value.isFinite, "JSON has no NaN or Infinity")
        if value == 0 {  // also -0, which ECMAScript prints as "0"
            out.append(UInt8(ascii: "0"))
            return
        }
        // Integers up to 2^53 are their own shortest form; skip the text round trip (hot path:
        // amounts and timestamps).
        if value.magnitude <= 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            appendDecimal(UInt64(value.magnitude), to: &out)
            return
        }
        var text = value.description
        text.withUTF8 { layOut(description: $0, to: &out) }
    }

    /// The ECMAScript text of `value` as a string (for tests and diagnostics).
    static func string(_ value: Double) -> String {
        var out: [UInt8] = []
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits Swift's `[-]digits[.digits][e±digits]` into sign, significant digits d1…dk and the
    /// ECMAScript exponent n (value = 0.d1…dk × 10^n), then prints them per ECMA-262.
    private static func layOut(description: UnsafeBufferPointer<UInt8>, to out: inout some CanonicalOutput) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
            var k = 0
            var n = 0
            var negative = false
            var beforePoint = true
            var exponent = 0
            var exponentSign = 1
            var inExponent = false
            for byte in description {
                switch byte {
                case UInt8(ascii: "-") where !inExponent: negative = true
                case UInt8(ascii: "-"): exponentSign = -1
                case UInt8(ascii: "."): beforePoint = false
                case UInt8(ascii: "e"): inExponent = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let d = byte - UInt8(ascii: "0")
                    if inExponent {
                        exponent = exponent * 10 + Int(d)
                    } else if k == 0 && d == 0 {
                        if !beforePoint { n -= 1 }  // leading zero after the point: 0.00ddd
                    } else {
                        if k < digits.count { digits[k] = byte; k += 1 }
                        if beforePoint { n += 1 }
                    }
                default: break  // "+" of the exponent
                }
            }
            while k > 1 && digits[k - 1] == UInt8(ascii: "0") { k -= 1 }  // "123.0" → 123
            n += exponentSign * exponent

            func append(_ range: Range<Int>) {
                out.append(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: digits[range])))
            }
            func zeros(_ count: Int) { for _ in 0..<count { out.append(UInt8(ascii: "0")) } }
            if negative { out.append(UInt8(ascii: "-")) }
            if k <= n && n <= 21 {
                append(0..<k)
                zeros(n - k)
            } else if 0 < n && n <= 21 {
                append(0..<n)
                out.append(UInt8(ascii: "."))
                append(n..<k)
            } else if -6 < n && n <= 0 {
                out.append(literal: "0.")
                zeros(-n)
                append(0..<k)
            } else {
                out.append(digits[0])
                if k > 1 {
                    out.append(UInt8(ascii: "."))
                    append(1..<k)
                }
                out.append(UInt8(ascii: "e"))
                out.append(n - 1 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                appendDecimal(UInt64((n - 1).magnitude), to: &out)
            }
        }
    }

    /// Appends the decimal digits of `value`, most significant first, in one append.
    static func appendDecimal(_ value: UInt64, to out: inout some CanonicalOutput) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // 2^64 has 20 digits.
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
            var index = 20
            var rest = value
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(bytes: UnsafeRawBufferPointer(rebasing: digits[index...]))
        }
    }
}
