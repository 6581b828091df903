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
    /// libsodium's `crypto_core_ed25519_add` decodes both operands with `ge25519_frombytes` and refuses
    /// only a y with no x (`ge25519_is_on_curve` then always holds), so adding the identity is the test.
    public static func isOnCurve(_ bytes: some Collection<UInt8>) -> Bool {
        let point = Array(bytes)
        guard point.count == publicKeyByteCount else { return false }
        ensureSodium()
        var sum = [UInt8](repeating: 0, count: 32)
        return crypto_core_ed25519_add(&sum, point, identity) == 0
    }
}
