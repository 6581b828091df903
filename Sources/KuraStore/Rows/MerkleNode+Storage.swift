import KuraCrypto

extension MerkleNode {
    /// The lowest level `merkle_nodes` keeps: complete subtrees of 8 leaves and larger. A smaller subtree is
    /// hashed from the receipts it covers (at most 7 leaves) when a proof or a root needs it, so a receipt writes
    /// a quarter of a node row on average instead of two (issue 15: the receipts' share of the append cost).
    public static let lowestStoredLevel = 3

    /// Whether the receipt tree keeps this node in `merkle_nodes` (``lowestStoredLevel``).
    public var isStored: Bool { level >= Self.lowestStoredLevel }
}
