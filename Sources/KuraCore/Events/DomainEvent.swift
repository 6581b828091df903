import KuraCrypto

/// A typed event of one aggregate, as `decide` returns it: its log type string and JSON payload.
public protocol DomainEvent: Sendable {
    /// The stable type string in the log, e.g. `escrow.locked`.
    var type: String { get }
    /// The facts, as a JSON object.
    var payload: JSONValue { get }
}

extension EscrowEvent: DomainEvent {}
extension PartyEvent: DomainEvent {}
extension FundsEvent: DomainEvent {}
