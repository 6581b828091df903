import KuraCrypto

/// Panel selection that the payer cannot steer and anyone can check.
///
/// Each round's draw is seeded with Kura's Ed25519 signature over
/// `kura-panel-seed-v1 LF disputeId LF round` (Ed25519 signatures are deterministic: one key, one message,
/// one seed). Every eligible arbiter is ranked by `SHA-256("kura-panel-v2" LF base64(seed) LF arbiterId)`,
/// and the lowest hashes sit. The dispute ID is derived from the payer's own request, but the seed needs
/// Kura's secret key, so nobody can search offline for a request that seats a chosen arbiter; and since
/// the seed is published in the event that seats the panel (`dispute.opened`, `dispute.appealed`,
/// `dispute.recused`), anyone holding Kura's public key and the log can recompute the draw.
public enum Panel {
    /// The text Kura signs for a round's seed.
    public static func seedMessage(disputeId: DisputeID, round: Int) -> [UInt8] {
        Array("kura-panel-seed-v1\n\(disputeId.rawValue)\n\(round)".utf8)
    }

    /// The `size` best-ranked candidates not in `excluded`, in rank order (fewer if there are not enough).
    public static func select(from candidates: [PartyID], excluding excluded: Set<PartyID>, size: Int, seed: [UInt8])
        -> [PartyID]
    {
        let seedText = Base64.encode(seed)
        let eligible = Set(candidates).subtracting(excluded)
        let ranked = eligible.map { (rank: rank($0, seed: seedText), id: $0) }
            .sorted { $0.rank.lexicographicallyPrecedes($1.rank) }
        return ranked.prefix(max(0, size)).map(\.id)
    }

    static func rank(_ arbiter: PartyID, seed: String) -> [UInt8] {
        SHA256.hash(Array("kura-panel-v2\n\(seed)\n\(arbiter.rawValue)".utf8))
    }

    /// A third party's check of a draw: `seed` is Kura's signature (with `kuraKey`) for this dispute and
    /// round, and `panel` is exactly what that seed selects from `candidates` (the active arbiters at the
    /// time, from the log) less `excluded`.
    public static func verify(
        panel: [PartyID], seed: [UInt8], disputeId: DisputeID, round: Int, candidates: [PartyID],
        excluding excluded: Set<PartyID>, kuraKey: Ed25519.PublicKey
    ) -> Bool {
        kuraKey.isValidSignature(seed, for: seedMessage(disputeId: disputeId, round: round))
            && select(from: candidates, excluding: excluded, size: panel.count, seed: seed) == panel
    }
}

/// Signs panel seeds with Kura's key. KuraService makes one from its signing key; KuraCore only calls it,
/// so the core holds no secret and stays deterministic (an Ed25519 signature depends on key and message only).
public struct PanelSeeder: Sendable {
    private let sign: @Sendable ([UInt8]) -> [UInt8]

    /// Seeds signed by `key`.
    public init(key: Ed25519.SecretKey) { sign = { key.signature(for: $0) } }

    /// The seed of a round's draw: Kura's signature over ``Panel/seedMessage(disputeId:round:)``.
    public func seed(disputeId: DisputeID, round: Int) -> [UInt8] {
        sign(Panel.seedMessage(disputeId: disputeId, round: round))
    }
}
