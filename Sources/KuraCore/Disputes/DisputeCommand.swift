import KuraCrypto

/// What someone asks of an open dispute. `deadline` and `close` come from Kura itself, with no actor.
public enum DisputeCommand: Sendable, Equatable {
    /// The payer or the payee adds evidence digests and, optionally, a short statement.
    case addEvidence([String], statement: String?)
    /// A panel arbiter rules: the signed statement, its signature and the written reason.
    case rule(RulingStatement, signature: [UInt8], reason: String)
    /// A panel arbiter steps down before ruling.
    case recuse
    /// The payer or the payee appeals a first-round decision.
    case appeal(reason: String?)
    /// A deadline passed (response, ruling or appeal window): the sweeper moves the dispute on.
    case deadline
    /// The payee refunded the escrow: the dispute ends without a ruling.
    case close(reason: String)

    /// Whether deciding it may seat an arbiter (a recusal's replacement, an appeal panel), and so needs the
    /// list of active arbiters.
    public var drawsArbiters: Bool {
        switch self {
        case .recuse, .appeal: true
        case .addEvidence, .rule, .deadline, .close: false
        }
    }

    /// The command's name, for messages.
    public var name: String {
        switch self {
        case .addEvidence: "add evidence to"
        case .rule: "rule on"
        case .recuse: "recuse from"
        case .appeal: "appeal"
        case .deadline: "apply a deadline to"
        case .close: "close"
        }
    }
}

/// What `decide` needs beyond the dispute: read by KuraService from projections.
public struct DisputeContext: Sendable {
    public var policy: DisputePolicy
    public var fees: FeeSchedule
    /// The active arbiters, from which panels and replacements are drawn (the two sides are left out here).
    public var arbiters: [PartyID]
    /// The ruling arbiter's registered key; only `rule` reads it.
    public var arbiterKey: Ed25519.PublicKey?
    /// Kura's seeds for panel draws (opening, recusal, appeal); a command that draws without one is an
    /// `internal_error`.
    public var seeder: PanelSeeder?

    /// Creates a context.
    public init(
        policy: DisputePolicy = DisputePolicy(), fees: FeeSchedule = FeeSchedule(), arbiters: [PartyID] = [],
        arbiterKey: Ed25519.PublicKey? = nil, seeder: PanelSeeder? = nil
    ) {
        self.policy = policy
        self.fees = fees
        self.arbiters = arbiters
        self.arbiterKey = arbiterKey
        self.seeder = seeder
    }

    /// The seed of round `round`'s draw for dispute `id`.
    func panelSeed(_ id: DisputeID, round: Int) throws(KuraError) -> [UInt8] {
        guard let seeder else { throw KuraError(.internalError, "a panel draw needs Kura's seeder") }
        return seeder.seed(disputeId: id, round: round)
    }
}
