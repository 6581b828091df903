/// A dispute over an escrow's delivery: the fold of its events (stream `dispute/dsp_…`).
///
/// Life: `awaiting_response` (the payee may answer with evidence) → `deliberating` (the panel rules) →
/// `decided` (a first-round outcome that either side may appeal) → `resolved` (money split). An appeal
/// returns a `decided` dispute to `deliberating` in round 2, whose outcome resolves it at once. A payee
/// who refunds the escrow ends the dispute as `closed`.
public struct Dispute: Sendable, Equatable, Hashable, Codable {
    /// Where a dispute is.
    public enum State: String, Sendable, Codable, CaseIterable {
        case awaitingResponse = "awaiting_response", deliberating, decided, resolved, closed

        /// Whether anything can still happen.
        public var isOpen: Bool { self != .resolved && self != .closed }
    }

    public let id: DisputeID
    public let escrowId: EscrowID
    public let payer: PartyID
    public let payee: PartyID
    public let amount: Amount
    public let asset: Asset
    /// The payer's reason.
    public let reason: String
    public let openedAt: Timestamp
    public let responseDueAt: Timestamp
    public internal(set) var state: State = .awaitingResponse
    /// 1, or 2 after an appeal.
    public internal(set) var round: Int = 1
    /// The arbiters seated in the current round, in rank order.
    public internal(set) var panel: [PartyID]
    /// Arbiters seated in earlier rounds; an appeal panel never includes them.
    public internal(set) var formerPanel: [PartyID] = []
    /// Arbiters who recused themselves, in any round.
    public internal(set) var recused: [PartyID] = []
    /// Every side's evidence, the payer's opening evidence first.
    public internal(set) var evidence: [DisputeEvent.Evidence]
    /// Every accepted ruling, of every round.
    public internal(set) var rulings: [Ruling] = []
    /// Until when the current panel may rule (set once deliberation starts).
    public internal(set) var rulingDueAt: Timestamp?
    /// The first-round outcome, if any.
    public internal(set) var decision: DisputeEvent.Decision?
    /// The appeal, if any.
    public internal(set) var appeal: DisputeEvent.Appeal?
    /// The final split, once resolved.
    public internal(set) var resolution: DisputeEvent.Resolution?
    /// When it was resolved or closed.
    public internal(set) var closedAt: Timestamp?

    init(opening: DisputeEvent.Opening) {
        id = opening.disputeId
        escrowId = opening.escrowId
        payer = opening.payer
        payee = opening.payee
        amount = opening.amount
        asset = opening.asset
        reason = opening.reason
        openedAt = opening.at
        responseDueAt = opening.responseDueAt
        panel = opening.panel
        evidence = [.init(by: opening.payer, evidence: opening.evidence, statement: opening.statement, at: opening.at)]
    }

    /// The next deadline the sweeper acts on, or nil when none is pending.
    public var dueAt: Timestamp? {
        switch state {
        case .awaitingResponse: responseDueAt
        case .deliberating: rulingDueAt
        case .decided: decision?.appealDueAt
        case .resolved, .closed: nil
        }
    }

    /// The rulings of the current round.
    public var currentRulings: [Ruling] { rulings.filter { $0.round == round } }

    /// Whether a party may see the dispute: its two sides and every arbiter ever seated or recused.
    public func involves(_ party: PartyID) -> Bool {
        party == payer || party == payee || panel.contains(party) || formerPanel.contains(party)
            || recused.contains(party)
    }
}
