/// An enterprise mandate: funds an agent set aside for facilitator payments, with caps (stream `mandate/mdt_…`).
///
/// Its state is the fold of its own events and of the reservation events that draw on it: `reserved`
/// takes from the balance and counts towards the day's spend, `voided` gives both back. Wire shape:
/// `{id, state, agent, asset, amount, perTxCap, dailyCap, allowedCounterparties, expiresAt, createdAt, balance,
/// funded, spentDay, spentToday, closedAt?}`.
public struct Mandate: Sendable, Equatable, Hashable, Codable {
    /// Where a mandate is. `revoked` and `expired` are terminal: the remainder went back to the agent.
    public enum State: String, Sendable, Codable, CaseIterable {
        case active, revoked, expired
    }

    /// Most counterparties one mandate may name.
    public static let maxCounterparties = 100

    public let id: MandateID
    public internal(set) var state: State
    /// The agent whose funds these are.
    public let agent: PartyID
    public let asset: Asset
    /// The amount set aside at creation.
    public let amount: Amount
    /// The most one payment may be.
    public let perTxCap: Amount
    /// The most the payments reserved in one UTC day may add up to (voided reservations give theirs back).
    public let dailyCap: Amount
    /// Who may be paid, sorted; empty means anyone.
    public let allowedCounterparties: [PartyID]
    /// From this time on, no payment is approved and the sweeper returns the remainder.
    public let expiresAt: Timestamp
    public let createdAt: Timestamp
    /// What is left to draw: the balance of `mandate/<id>/funds`.
    public internal(set) var balance: Amount
    /// Everything ever put in: the amount and every top-up.
    public internal(set) var funded: Amount
    /// The UTC day ``spentToday`` counts (see ``UTCDay``).
    public internal(set) var spentDay: Int64
    /// Reserved on ``spentDay``, less what was voided.
    public internal(set) var spentToday: Amount
    /// When it was revoked or expired.
    public internal(set) var closedAt: Timestamp?

    init(id: MandateID, terms: MandateTerms, createdAt: Timestamp) {
        self.id = id
        self.state = .active
        self.agent = terms.agent
        self.asset = terms.asset
        self.amount = terms.amount
        self.perTxCap = terms.perTxCap
        self.dailyCap = terms.dailyCap
        self.allowedCounterparties = Array(Set(terms.allowedCounterparties)).sorted()
        self.expiresAt = terms.expiresAt
        self.createdAt = createdAt
        self.balance = terms.amount
        self.funded = terms.amount
        self.spentDay = UTCDay.of(createdAt)
        self.spentToday = .zero
    }

    /// What was already spent on `day`: ``spentToday`` if it counts that day, else nothing.
    public func spent(onDay day: Int64) -> Amount { day == spentDay ? spentToday : .zero }

    /// The day a reservation made at `time` counts against: its own UTC day, or ``spentDay`` if that is later.
    /// Only one day is kept, and times need not arrive in order (another node's clock a moment behind, or a
    /// command whose time was taken before a later one's but reached the writer after it): a reservation of the
    /// day before, decided after one of the new day, must not set the count back and free the new day's cap.
    public func countingDay(of time: Timestamp) -> Int64 { max(UTCDay.of(time), spentDay) }
}

/// What an agent asks for when it creates a mandate.
public struct MandateTerms: Sendable, Equatable, Hashable, Codable {
    public var agent: PartyID
    public var asset: Asset
    public var amount: Amount
    public var perTxCap: Amount
    public var dailyCap: Amount
    public var allowedCounterparties: [PartyID]
    public var expiresAt: Timestamp

    public init(
        agent: PartyID, asset: Asset, amount: Amount, perTxCap: Amount, dailyCap: Amount,
        allowedCounterparties: [PartyID], expiresAt: Timestamp
    ) {
        self.agent = agent
        self.asset = asset
        self.amount = amount
        self.perTxCap = perTxCap
        self.dailyCap = dailyCap
        self.allowedCounterparties = allowedCounterparties
        self.expiresAt = expiresAt
    }

    /// Checks the values proposed at `now`; `invalid_request` names the first broken rule.
    public func validate(now: Timestamp) throws(KuraError) {
        func refuse(_ why: String) -> KuraError { KuraError(.invalidRequest, why) }
        guard amount.units > 0 else { throw refuse("amount must be more than zero") }
        guard perTxCap.units > 0, dailyCap.units > 0 else {
            throw refuse("perTxCap and dailyCap must be more than zero")
        }
        guard expiresAt > now, expiresAt.milliseconds <= EscrowTerms.maxExactInteger else {
            throw refuse("expiresAt \(expiresAt) must be after now \(now) and at most 2^53-1")
        }
        guard allowedCounterparties.count <= Mandate.maxCounterparties else {
            throw refuse("at most \(Mandate.maxCounterparties) allowedCounterparties")
        }
        guard Set(allowedCounterparties).count == allowedCounterparties.count else {
            throw refuse("allowedCounterparties lists a party twice")
        }
        guard !allowedCounterparties.contains(agent) else { throw refuse("the agent cannot be its own counterparty") }
    }
}

/// What someone asks of a mandate. `expire` comes from the sweeper, with no actor.
public enum MandateCommand: Sendable, Equatable {
    /// Adds funds from the agent's available balance.
    case topUp(Amount)
    /// Stops the mandate and returns the remainder to the agent.
    case revoke
    /// The expiry passed: returns the remainder to the agent.
    case expire

    public var name: String {
        switch self {
        case .topUp: "top-up"
        case .revoke: "revoke"
        case .expire: "expire"
        }
    }
}
