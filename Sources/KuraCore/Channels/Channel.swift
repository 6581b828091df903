/// A pre-funded payment channel from an agent to one provider (stream `channel/ch_…`): the agent deposits
/// once, pays per call with signed vouchers for a growing cumulative amount, and the provider settles
/// the latest voucher from time to time: one event and one receipt for many calls.
///
/// Life: `open` → (the agent starts a close, or the channel expires) `closing`, during which the provider
/// may still settle a higher voucher until `closeDueAt` → `closed`, the rest back to the agent. A close by
/// the provider is cooperative: it ends the channel at once.
public struct Channel: Sendable, Equatable, Hashable, Codable {
    /// Where a channel is.
    public enum State: String, Sendable, Codable, CaseIterable {
        case open, closing, closed
    }

    public let id: ChannelID
    /// Who deposited and signs vouchers.
    public let agent: PartyID
    /// Who is paid.
    public let provider: PartyID
    public let asset: Asset
    /// How long the provider has to present a higher voucher after the agent starts a close.
    public let challengePeriodMs: Int64
    /// When the channel stops taking top-ups and starts closing by itself.
    public let expiresAt: Timestamp
    /// The key that signs this channel's vouchers (base64): the agent's key when it opened the channel. A
    /// later rotation of the agent's key does not change it, so vouchers a provider accepted stay
    /// settleable; an agent whose key leaked closes its channels. Nil for channels opened before keys could
    /// rotate: their vouchers are checked against the agent's current key.
    public let agentKey: String?
    public let openedAt: Timestamp
    public internal(set) var state: State = .open
    /// Everything deposited (units).
    public internal(set) var capacity: Amount
    /// The cumulative amount of the last settled voucher: what has left the channel to the provider and fees.
    public internal(set) var settled: Amount = .zero
    /// The sequence of the last settled voucher (0 before any).
    public internal(set) var sequence: UInt64 = 0
    /// Kura's settlement fees taken so far.
    public internal(set) var fees: Amount = .zero
    /// The end of the challenge period, once closing.
    public internal(set) var closeDueAt: Timestamp?
    /// What went back to the agent at the close.
    public internal(set) var returned: Amount?
    public internal(set) var closedAt: Timestamp?

    init(_ opening: ChannelEvent.Opening) {
        id = opening.channelId
        agent = opening.agent
        provider = opening.provider
        asset = opening.asset
        challengePeriodMs = opening.challengePeriodMs
        expiresAt = opening.expiresAt
        agentKey = opening.agentKey
        openedAt = opening.at
        capacity = opening.amount
    }

    /// What the channel still holds (nothing, for a channel decoded from an answer that settled more than it
    /// holds: Kura never makes one, but a client reads what it is sent).
    public var remaining: Amount { Amount(checked: capacity.units - min(capacity.units, settled.units)) }

    /// The next time the sweeper acts: the expiry while open, the end of the challenge period while closing.
    public var dueAt: Timestamp? {
        switch state {
        case .open: expiresAt
        case .closing: closeDueAt
        case .closed: nil
        }
    }
}
