import KuraCore

/// A row of `channels`: the channel and the `seq` of its opening. Agent, provider, state and `due_at`
/// (``Channel/dueAt``) are read off `channel`.
public struct ChannelRow: Sendable, Equatable {
    public var channel: Channel
    /// The `seq` of `channel.opened`.
    public var seq: UInt64

    public init(channel: Channel, seq: UInt64) {
        self.channel = channel
        self.seq = seq
    }
}
