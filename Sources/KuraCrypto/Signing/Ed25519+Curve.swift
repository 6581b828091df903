import CSodium

extension Ed25519 {
    /// The encoding of the neutral element (x = 0, y = 1): a point every decoder accepts.
    private static let identity: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)

    /// Whether 32 bytes decode to a point of the Edwards curve: y is read modulo p with the top bit as the
    /// sign of x, and a matching x must exist. Nothing more: neither the subgroup, nor small order, nor a
    /// canonical y is asked for. That is exactly Solana's rule for program-derived addresses
    /// (`bytes_are_curve_point`, curve25519-dalek's `CompressedEdwardsY::decompress().is_some()`), which
    /// `crypto_core_ed25519_is_valid_point` is not: it also refuses the seven eighths of curve points
    /// outside the prime-order subgroup.
    ///
    /// The test: with u = y² − 1 and v = d·y² + 1, an x exists exactly when u = 0, or v ≠ 0 and u·v is a
    /// square modulo p (one Legendre symbol, ``Curve25519Field``).
    public static func isOnCurve(_ bytes: some Collection<UInt8>) -> Bool {
        let point = Array(bytes)
        guard point.count == publicKeyByteCount else { return false }
        let y = Curve25519Field(compressedY: point)
        let yy = y.square
        let u = yy + Curve25519Field.minusOne
        let v = yy * Curve25519Field.d + Curve25519Field.one
        if u.reduced == .zero { return true }
        if v.reduced == .zero { return false }
        return (u * v).legendre == .one
    }

    /// The same answer from libsodium, three exponentiations slower: `crypto_core_ed25519_add` decodes both
    /// operands with `ge25519_frombytes` and refuses only a y with no x (`ge25519_is_on_curve` then always
    /// holds), so adding the identity is the test. The tests hold ``isOnCurve(_:)`` to it.
    public static func isOnCurveBySodium(_ bytes: some Collection<UInt8>) -> Bool {
        let point = Array(bytes)
        guard point.count == publicKeyByteCount else { return false }
        ensureSodium()
        var sum = [UInt8](repeating: 0, count: 32)
        return crypto_core_ed25519_add(&sum, point, identity) == 0
    }
}
