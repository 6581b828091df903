import KuraCrypto

/// Program-derived addresses: SHA-256 over the seeds, the program ID and the marker "ProgramDerivedAddress",
/// kept only when the result is not a curve point (so no secret key exists for it). As `solana-pubkey`'s
/// `create_program_address` and `find_program_address`.
public enum ProgramDerivedAddress {
    /// The most seeds an address may have (the bump counts as one).
    public static let maxSeeds = 16
    /// The longest seed.
    public static let maxSeedLength = 32
    static let marker = Array("ProgramDerivedAddress".utf8)

    /// The address for exactly these seeds; throws `invalidSeeds` when there are too many or too long
    /// seeds, or when the hash lands on the curve.
    public static func create(seeds: [[UInt8]], program: SolanaPublicKey) throws(SolanaError) -> SolanaPublicKey {
        guard seeds.count <= maxSeeds else {
            throw SolanaError(.invalidSeeds, "at most \(maxSeeds) seeds, got \(seeds.count)")
        }
        var hasher = SHA256Hasher()
        for seed in seeds {
            guard seed.count <= maxSeedLength else {
                throw SolanaError(.invalidSeeds, "a seed is at most \(maxSeedLength) bytes, got \(seed.count)")
            }
            hasher.update(seed)
        }
        hasher.update(program.bytes)
        hasher.update(marker)
        let hash = hasher.finalize()
        guard !Ed25519.isOnCurve(hash) else {
            throw SolanaError(.invalidSeeds, "the seeds give a point on the curve")
        }
        return try SolanaPublicKey(bytes: hash)
    }

    /// The first address off the curve with a bump seed appended, trying 255 down to 1, and that bump.
    public static func find(
        seeds: [[UInt8]], program: SolanaPublicKey
    ) throws(SolanaError) -> (address: SolanaPublicKey, bump: UInt8) {
        guard seeds.count < maxSeeds else {
            throw SolanaError(.invalidSeeds, "at most \(maxSeeds - 1) seeds before the bump, got \(seeds.count)")
        }
        if let long = seeds.first(where: { $0.count > maxSeedLength }) {
            throw SolanaError(.invalidSeeds, "a seed is at most \(maxSeedLength) bytes, got \(long.count)")
        }
        var bump: UInt8 = 255
        while bump > 0 {
            if let address = try? create(seeds: seeds + [[bump]], program: program) { return (address, bump) }
            bump -= 1
        }
        throw SolanaError(.invalidSeeds, "no bump seed gives an address off the curve")
    }
}
