/// Kura's floor under the terms of a new channel, so that no agent can close and take its deposit back
/// before the provider's scheduled settlement: the challenge period (how long the provider has to settle
/// after the agent starts a close) and the lifetime (past its expiry a channel starts closing by itself)
/// must both leave a provider's settlement schedule room. Configured by the operator
/// (`ServiceConfiguration.channels`, `kura serve --channel-min-challenge-ms/--channel-min-lifetime-ms`).
public struct ChannelPolicy: Sendable, Equatable {
    /// The shortest challenge period accepted at open. Default five minutes: thirty times a provider's
    /// default settlement interval (ten seconds), room for a restart or a short outage.
    public var minChallengePeriodMs: Int64 = 300_000
    /// The shortest lifetime (`expiresAt − now`) accepted at open. Default ten minutes.
    public var minLifetimeMs: Int64 = 600_000

    /// The defaults.
    public init() {}

    /// Checks the values an operator configured: each at least one millisecond, and a challenge period
    /// within ``Channel/maxChallengePeriodMs``.
    public func validate() throws(KuraError) {
        guard (1...Channel.maxChallengePeriodMs).contains(minChallengePeriodMs), minLifetimeMs >= 1 else {
            throw KuraError(
                .invalidRequest,
                "the minimum challenge period is 1 ms to \(Channel.maxChallengePeriodMs) ms and the minimum "
                    + "lifetime at least 1 ms")
        }
    }
}
