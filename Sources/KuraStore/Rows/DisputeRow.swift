import KuraCore

/// A row of `disputes` with its `dispute_members` rows: the dispute, the `seq` of its opening, and the
/// parties involved (`seated`: on the current panel), so that "my disputes" is an index lookup.
public struct DisputeRow: Sendable, Equatable {
    public var dispute: Dispute
    /// The `seq` of `dispute.opened`.
    public var seq: UInt64
    /// Everyone involved, each once: the two sides, former and recused arbiters (`false`), the panel (`true`).
    /// Written with the row (the old members are replaced); empty when read back.
    public var members: [DisputeMember]

    public init(dispute: Dispute, seq: UInt64, members: [DisputeMember] = []) {
        self.dispute = dispute
        self.seq = seq
        self.members = members
    }
}

/// A row of `dispute_members`.
public struct DisputeMember: Sendable, Equatable, Hashable {
    public var party: PartyID
    /// On the current panel.
    public var seated: Bool

    public init(party: PartyID, seated: Bool) {
        self.party = party
        self.seated = seated
    }
}
