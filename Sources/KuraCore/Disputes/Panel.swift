import KuraCrypto

/// Deterministic panel selection: every eligible arbiter is ranked by
/// `SHA-256("kura-panel-v1" LF disputeId LF round LF arbiterId)`, and the lowest hashes sit. Anyone can
/// recompute a panel from the dispute ID and the list of arbiters; nobody can steer it without
/// choosing the dispute's content, which includes the log sequence it was opened at.
public enum Panel {
    /// The `size` best-ranked candidates not in `excluded`, in rank order (fewer if there are not enough).
    public static func select(
        from candidates: [PartyID], excluding excluded: Set<PartyID>, size: Int, disputeId: DisputeID, round: Int
    ) -> [PartyID] {
        let eligible = Set(candidates).subtracting(excluded)
        let ranked = eligible.map { (rank: rank($0, disputeId: disputeId, round: round), id: $0) }
            .sorted { $0.rank.lexicographicallyPrecedes($1.rank) }
        return ranked.prefix(max(0, size)).map(\.id)
    }

    static func rank(_ arbiter: PartyID, disputeId: DisputeID, round: Int) -> [UInt8] {
        SHA256.hash(Array("kura-panel-v1\n\(disputeId.rawValue)\n\(round)\n\(arbiter.rawValue)".utf8))
    }
}
