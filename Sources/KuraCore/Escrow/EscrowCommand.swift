/// What someone asks of an escrow. `autoRelease` and `expire` come from the sweeper, with no actor.
public enum EscrowCommand: Sendable, Equatable {
    /// Locks the payer's funds under `terms`; creates the escrow.
    case lock(EscrowTerms)
    /// The payee says it delivered; `evidence` is the lowercase hex SHA-256 of what it delivered.
    case deliver(evidence: String)
    /// The payer accepts the delivery; funds go to the payee less the fee.
    case confirm
    /// The payer contests the delivery within the dispute window; funds stay held.
    case dispute(reason: String, evidence: [String], disputeId: DisputeID)
    /// The payer withdraws before delivery.
    case cancel
    /// The payee gives the money back, at any time before release.
    case refund
    /// The confirm window passed without confirmation or dispute.
    case autoRelease
    /// The delivery deadline passed without delivery.
    case expire
    /// The escrow's dispute was resolved: the held amount is split as the resolution says.
    case resolve(disputeId: DisputeID, DisputeEvent.Resolution)

    /// The command's name, for error details.
    public var name: String {
        switch self {
        case .lock: "lock"
        case .deliver: "deliver"
        case .confirm: "confirm"
        case .dispute: "dispute"
        case .cancel: "cancel"
        case .refund: "refund"
        case .autoRelease: "autoRelease"
        case .expire: "expire"
        case .resolve: "resolve"
        }
    }
}
