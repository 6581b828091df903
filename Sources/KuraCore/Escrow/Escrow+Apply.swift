extension Escrow {
    /// Applies a decided event. Never fails: the log is the truth. A second `locked` changes nothing.
    public mutating func apply(_ event: EscrowEvent) {
        switch event {
        case .locked:
            break
        case .delivered(let evidence, let at):
            state = .delivered
            deliveredAt = at
            self.evidence = evidence
        case .released(_, _, let fee, let at, _):
            state = .released
            releasedAt = at
            self.fee = fee
            closedAt = at
        case .disputed(let disputeId, _, _, _):
            state = .disputed
            self.disputeId = disputeId
        case .cancelled(let at, _):
            state = .cancelled
            closedAt = at
        case .refunded(let at, _):
            state = .refunded
            closedAt = at
        case .expired(let at, _):
            state = .expired
            closedAt = at
        case .resolved(let body):
            state = .resolved
            fee = body.fee
            closedAt = body.at
        }
    }

    /// The escrow as its events left it, or nil if the first event is not `locked`.
    public static func fold(_ events: [EscrowEvent]) -> Escrow? {
        guard case .locked(let id, let terms, _)? = events.first else { return nil }
        var escrow = Escrow(id: id, terms: terms)
        for event in events.dropFirst() { escrow.apply(event) }
        return escrow
    }
}
