/// The aggregates whose events the log holds: an event type's part before its first dot (`escrow` of
/// `escrow.locked`). The set is closed: the projection switches over it with no `default:`, so a log holding a
/// type of an aggregate this version does not know (a newer writer's, a damaged row) is refused with
/// `unknown_event_type` instead of skipped, and a new aggregate cannot be added without a projection.
public enum EventAggregate: String, Sendable, Hashable, CaseIterable {
    case escrow, party, account, dispute, channel, payment, reservation, mandate, position, price, x402, solana
    case withdrawal, chain

    /// The aggregate of an event type, or `unknown_event_type`.
    public init(eventType: String) throws(KuraError) {
        guard let dot = eventType.firstIndex(of: "."), let aggregate = Self(rawValue: String(eventType[..<dot])) else {
            throw EventPayload.unknown(eventType)
        }
        self = aggregate
    }
}
