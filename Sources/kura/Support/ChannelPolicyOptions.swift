import ArgumentParser
import KuraCore

/// The floor under new channels' terms an operator may set on `kura serve`; unset values keep the defaults
/// of ``ChannelPolicy`` (a challenge period of at least 300 s, a lifetime of at least 600 s).
struct ChannelPolicyOptions: ParsableArguments {
    @Option(help: "Shortest challenge period a new channel may have, seconds (default 300).")
    var channelMinChallenge: Int64?
    @Option(help: "Shortest lifetime (expiresAt - now) a new channel may have, seconds (default 600).")
    var channelMinLifetime: Int64?

    /// The policy, validated.
    func policy() throws -> ChannelPolicy {
        var policy = ChannelPolicy()
        func ms(_ seconds: Int64, _ flag: String) throws -> Int64 {
            guard seconds > 0, seconds <= 30 * 86_400 else { throw ValidationError("--\(flag) must be 1 s to 30 days") }
            return seconds * 1000
        }
        if let value = channelMinChallenge { policy.minChallengePeriodMs = try ms(value, "channel-min-challenge") }
        if let value = channelMinLifetime { policy.minLifetimeMs = try ms(value, "channel-min-lifetime") }
        do { try policy.validate() } catch { throw ValidationError(error.detail) }
        return policy
    }
}
