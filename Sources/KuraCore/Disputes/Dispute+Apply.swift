extension Dispute {
    /// Applies a decided event. Never fails: the log is the truth.
    public mutating func apply(_ event: DisputeEvent) {
        switch event {
        case .opened:
            break
        case .evidenceAdded(let entry):
            evidence.append(entry)
        case .deliberating(let round, let due, _):
            state = .deliberating
            self.round = round
            rulingDueAt = due
        case .recused(let arbiter, let replacement, _, _):
            recused.append(arbiter)
            panel.removeAll { $0 == arbiter }
            if let replacement { panel.append(replacement) }
        case .ruled(let ruling):
            rulings.append(ruling)
        case .decided(let decision):
            state = .decided
            self.decision = decision
        case .appealed(let appeal):
            self.appeal = appeal
            formerPanel += panel
            panel = appeal.panel
            round = appeal.round
            rulingDueAt = appeal.rulingDueAt
            state = .deliberating
        case .resolved(let resolution):
            state = .resolved
            self.resolution = resolution
            closedAt = resolution.at
        case .closed(_, let at):
            state = .closed
            closedAt = at
        }
    }

    /// The dispute as its events left it, or nil if the first event is not `dispute.opened`.
    public static func fold(_ events: [DisputeEvent]) -> Dispute? {
        guard case .opened(let opening)? = events.first else { return nil }
        var dispute = Dispute(opening: opening)
        for event in events.dropFirst() { dispute.apply(event) }
        return dispute
    }
}
