import KuraCore

/// A row of `reputation_parties`: one party's folded reputation state (both roles).
public struct ReputationPartyRow: Sendable, Equatable {
    public var party: PartyID
    public var state: PartyReputation

    public init(party: PartyID, state: PartyReputation) {
        self.party = party
        self.state = state
    }
}

/// A row of `reputation_pairs`: the evidence one counterparty has contributed to a party's role (the
/// per-counterparty cap against wash trading).
public struct ReputationPairRow: Sendable, Equatable {
    /// What names a row: the party, the role and the counterparty.
    public struct Key: Hashable, Sendable {
        public let party: PartyID
        public let role: ReputationRole
        public let counterparty: PartyID

        public init(party: PartyID, role: ReputationRole, counterparty: PartyID) {
            self.party = party
            self.role = role
            self.counterparty = counterparty
        }
    }

    public var party: PartyID
    public var role: ReputationRole
    public var counterparty: PartyID
    public var evidence: Evidence

    public init(party: PartyID, role: ReputationRole, counterparty: PartyID, evidence: Evidence) {
        self.party = party
        self.role = role
        self.counterparty = counterparty
        self.evidence = evidence
    }

    /// The row's key.
    public var key: Key { Key(party: party, role: role, counterparty: counterparty) }
}

/// The one row of `reputation_log`: the tree size the reputation rows are at, that tree's root, the last
/// receipt's time and the model (canonical JSON) they were folded with.
public struct ReputationLogRow: Sendable, Equatable {
    public var size: UInt64
    public var root: [UInt8]
    public var lastAt: Timestamp
    public var model: String

    public init(size: UInt64, root: [UInt8], lastAt: Timestamp, model: String) {
        self.size = size
        self.root = root
        self.lastAt = lastAt
        self.model = model
    }
}
