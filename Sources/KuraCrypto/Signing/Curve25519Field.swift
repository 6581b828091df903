/// Arithmetic modulo p = 2^255 − 19, just enough for one question: is a 32-byte string the compressed
/// encoding of a point on the Ed25519 curve? (``Ed25519/isOnCurve(_:)``.)
///
/// Why not libsodium alone: its only public function that decodes a point without also asking for the
/// prime-order subgroup, `crypto_core_ed25519_add`, decodes both operands and re-encodes the sum, three
/// exponentiations for a yes or no. Deriving an associated token account asks the question about twice on
/// average, so on the x402 verification path it cost two thirds of an Ed25519 verification. The test here is
/// one exponentiation (a Legendre symbol). It is checked against libsodium's answer
/// (``Ed25519/isOnCurveBySodium(_:)``) on every fixture and on random inputs by the tests.
struct Curve25519Field: Equatable {
    /// Four 64-bit limbs, least significant first; a value below 2^256, not necessarily reduced below p.
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

    static let zero = Curve25519Field(l0: 0, l1: 0, l2: 0, l3: 0)
    static let one = Curve25519Field(l0: 1, l1: 0, l2: 0, l3: 0)
    /// p − 1, which is −1.
    static let minusOne = Curve25519Field(
        l0: 0xFFFF_FFFF_FFFF_FFEC, l1: 0xFFFF_FFFF_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0x7FFF_FFFF_FFFF_FFFF)
    static let p = Curve25519Field(
        l0: 0xFFFF_FFFF_FFFF_FFED, l1: 0xFFFF_FFFF_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0x7FFF_FFFF_FFFF_FFFF)
    /// The curve constant d = −121665 / 121666.
    static let d = Curve25519Field(
        l0: 0x75EB_4DCA_1359_78A3, l1: 0x0070_0A4D_4141_D8AB, l2: 0x8CC7_4079_7779_E898, l3: 0x5203_6CEE_2B6F_FE73)

    /// The y of a compressed point: 32 little-endian bytes, the top bit (the sign of x) cleared.
    init(compressedY bytes: [UInt8]) {
        func limb(_ i: Int) -> UInt64 {
            var value: UInt64 = 0
            for k in (0..<8).reversed() { value = value << 8 | UInt64(bytes[8 * i + k]) }
            return value
        }
        self.init(l0: limb(0), l1: limb(1), l2: limb(2), l3: limb(3) & 0x7FFF_FFFF_FFFF_FFFF)
    }

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }

    /// Adds `carry · 2^256 ≡ carry · 38` back into four limbs (twice at most: the second carry is 0 or 1).
    @inline(__always)
    static func fold(_ r0: UInt64, _ r1: UInt64, _ r2: UInt64, _ r3: UInt64, carry: UInt64) -> Curve25519Field {
        var (a0, a1, a2, a3) = (r0, r1, r2, r3)
        var c = carry
        while c != 0 {
            let t = UInt128(a0) + UInt128(c) * 38
            a0 = UInt64(truncatingIfNeeded: t)
            var k = UInt64(truncatingIfNeeded: t >> 64)
            (a1, k) = add(a1, k)
            (a2, k) = add(a2, k)
            (a3, k) = add(a3, k)
            c = k
        }
        return Curve25519Field(l0: a0, l1: a1, l2: a2, l3: a3)
    }

    @inline(__always)
    static func add(_ a: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (sum, overflow) = a.addingReportingOverflow(carry)
        return (sum, overflow ? 1 : 0)
    }

    static func + (a: Curve25519Field, b: Curve25519Field) -> Curve25519Field {
        var t = UInt128(a.l0) + UInt128(b.l0)
        let r0 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(a.l1) + UInt128(b.l1)
        let r1 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(a.l2) + UInt128(b.l2)
        let r2 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(a.l3) + UInt128(b.l3)
        return fold(r0, r1, r2, UInt64(truncatingIfNeeded: t), carry: UInt64(truncatingIfNeeded: t >> 64))
    }

    static func * (a: Curve25519Field, b: Curve25519Field) -> Curve25519Field {
        // The 512-bit product, row by row, then its high half times 38 folded into the low half.
        var r0: UInt64 = 0
        var r1: UInt64 = 0
        var r2: UInt64 = 0
        var r3: UInt64 = 0
        var r4: UInt64 = 0
        var r5: UInt64 = 0
        var r6: UInt64 = 0
        var r7: UInt64 = 0
        var t: UInt128
        t = UInt128(a.l0) * UInt128(b.l0) + UInt128(r0)
        r0 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l0) * UInt128(b.l1) + UInt128(r1) + (t >> 64)
        r1 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l0) * UInt128(b.l2) + UInt128(r2) + (t >> 64)
        r2 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l0) * UInt128(b.l3) + UInt128(r3) + (t >> 64)
        r3 = UInt64(truncatingIfNeeded: t)
        r4 = UInt64(truncatingIfNeeded: t >> 64)
        t = UInt128(a.l1) * UInt128(b.l0) + UInt128(r1)
        r1 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l1) * UInt128(b.l1) + UInt128(r2) + (t >> 64)
        r2 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l1) * UInt128(b.l2) + UInt128(r3) + (t >> 64)
        r3 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l1) * UInt128(b.l3) + UInt128(r4) + (t >> 64)
        r4 = UInt64(truncatingIfNeeded: t)
        r5 = UInt64(truncatingIfNeeded: t >> 64)
        t = UInt128(a.l2) * UInt128(b.l0) + UInt128(r2)
        r2 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l2) * UInt128(b.l1) + UInt128(r3) + (t >> 64)
        r3 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l2) * UInt128(b.l2) + UInt128(r4) + (t >> 64)
        r4 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l2) * UInt128(b.l3) + UInt128(r5) + (t >> 64)
        r5 = UInt64(truncatingIfNeeded: t)
        r6 = UInt64(truncatingIfNeeded: t >> 64)
        t = UInt128(a.l3) * UInt128(b.l0) + UInt128(r3)
        r3 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l3) * UInt128(b.l1) + UInt128(r4) + (t >> 64)
        r4 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l3) * UInt128(b.l2) + UInt128(r5) + (t >> 64)
        r5 = UInt64(truncatingIfNeeded: t)
        t = UInt128(a.l3) * UInt128(b.l3) + UInt128(r6) + (t >> 64)
        r6 = UInt64(truncatingIfNeeded: t)
        r7 = UInt64(truncatingIfNeeded: t >> 64)
        return reduce(r0, r1, r2, r3, r4, r5, r6, r7)
    }

    /// `self` squared `n` times.
    func squared(_ n: Int) -> Curve25519Field {
        var x = self
        for _ in 0..<n { x = x.square }
        return x
    }

    /// `self · self` with 10 limb products instead of 16: each cross product once, doubled. The Legendre
    /// symbol is 254 squarings and 11 multiplications, so this is most of the curve test's time.
    var square: Curve25519Field {
        let (a0, a1, a2, a3) = (UInt128(l0), UInt128(l1), UInt128(l2), UInt128(l3))
        // The cross products a_i · a_j (i < j), at limbs 1 to 6.
        var t = a0 * a1
        var r1 = UInt64(truncatingIfNeeded: t)
        t = a0 * a2 + (t >> 64)
        var r2 = UInt64(truncatingIfNeeded: t)
        t = a0 * a3 + (t >> 64)
        var r3 = UInt64(truncatingIfNeeded: t)
        var r4 = UInt64(truncatingIfNeeded: t >> 64)
        t = a1 * a2 + UInt128(r3)
        r3 = UInt64(truncatingIfNeeded: t)
        t = a1 * a3 + UInt128(r4) + (t >> 64)
        r4 = UInt64(truncatingIfNeeded: t)
        var r5 = UInt64(truncatingIfNeeded: t >> 64)
        t = a2 * a3 + UInt128(r5)
        r5 = UInt64(truncatingIfNeeded: t)
        var r6 = UInt64(truncatingIfNeeded: t >> 64)
        // Doubled.
        var r7 = r6 >> 63
        r6 = r6 << 1 | r5 >> 63
        r5 = r5 << 1 | r4 >> 63
        r4 = r4 << 1 | r3 >> 63
        r3 = r3 << 1 | r2 >> 63
        r2 = r2 << 1 | r1 >> 63
        r1 <<= 1
        // Plus the squares a_i², at limbs 2i and 2i + 1.
        t = a0 * a0
        let r0 = UInt64(truncatingIfNeeded: t)
        t = UInt128(r1) + (t >> 64)
        r1 = UInt64(truncatingIfNeeded: t)
        t = a1 * a1 + UInt128(r2) + (t >> 64)
        r2 = UInt64(truncatingIfNeeded: t)
        t = UInt128(r3) + (t >> 64)
        r3 = UInt64(truncatingIfNeeded: t)
        t = a2 * a2 + UInt128(r4) + (t >> 64)
        r4 = UInt64(truncatingIfNeeded: t)
        t = UInt128(r5) + (t >> 64)
        r5 = UInt64(truncatingIfNeeded: t)
        t = a3 * a3 + UInt128(r6) + (t >> 64)
        r6 = UInt64(truncatingIfNeeded: t)
        r7 = r7 &+ UInt64(truncatingIfNeeded: t >> 64)
        return Self.reduce(r0, r1, r2, r3, r4, r5, r6, r7)
    }

    /// A 512-bit value modulo p: the high half times 38 (2^256 ≡ 38) folded into the low half.
    @inline(__always)
    static func reduce(
        _ r0: UInt64, _ r1: UInt64, _ r2: UInt64, _ r3: UInt64, _ r4: UInt64, _ r5: UInt64, _ r6: UInt64,
        _ r7: UInt64
    ) -> Curve25519Field {
        var t = UInt128(r4) * 38 + UInt128(r0)
        let s0 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(r5) * 38 + UInt128(r1)
        let s1 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(r6) * 38 + UInt128(r2)
        let s2 = UInt64(truncatingIfNeeded: t)
        t = (t >> 64) + UInt128(r7) * 38 + UInt128(r3)
        return fold(s0, s1, s2, UInt64(truncatingIfNeeded: t), carry: UInt64(truncatingIfNeeded: t >> 64))
    }

    /// The same value below p.
    var reduced: Curve25519Field {
        var x = self
        for _ in 0..<2 where !x.isBelowP {
            var borrow = false
            var limbs = [x.l0, x.l1, x.l2, x.l3]
            let pl = [Self.p.l0, Self.p.l1, Self.p.l2, Self.p.l3]
            for k in 0..<4 {
                let (d1, o1) = limbs[k].subtractingReportingOverflow(pl[k])
                let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
                limbs[k] = d2
                borrow = o1 || o2
            }
            x = Curve25519Field(l0: limbs[0], l1: limbs[1], l2: limbs[2], l3: limbs[3])
        }
        return x
    }

    private var isBelowP: Bool {
        if l3 != Self.p.l3 { return l3 < Self.p.l3 }
        if l2 != Self.p.l2 { return l2 < Self.p.l2 }
        if l1 != Self.p.l1 { return l1 < Self.p.l1 }
        return l0 < Self.p.l0
    }

    /// The Legendre symbol, `self^((p − 1) / 2)`, reduced: 1 for a non-zero square, 0 for zero, p − 1 otherwise.
    /// (p − 1) / 2 = 2^254 − 10 = (2^250 − 1) · 2^4 + 6, by the addition chain of ref10's inversion.
    var legendre: Curve25519Field {
        let z = self
        let z2 = z.square
        let z9 = z2.squared(2) * z
        let z11 = z9 * z2
        let z2_5_0 = (z11 * z11) * z9
        let z2_10_0 = z2_5_0.squared(5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(100) * z2_100_0
        let z2_250_0 = z2_200_0.squared(50) * z2_50_0
        let z6 = z2 * z2 * z2
        return (z2_250_0.squared(4) * z6).reduced
    }
}
