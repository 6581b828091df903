import ArgumentParser
import KuraCore

/// The dispute policy an operator may set on `kura serve` and `kura sweep`; unset values keep the
/// defaults of ``DisputePolicy`` (48 h to respond, 72 h to rule, 48 h to appeal, an even split by default).
struct DisputePolicyOptions: ParsableArguments {
    @Option(help: "Seconds the payee has to answer a dispute (default 172800).") var disputeResponseWindow: Int64?
    @Option(help: "Seconds a panel has to rule (default 259200).") var disputeRulingWindow: Int64?
    @Option(help: "Seconds either side has to appeal (default 172800).") var disputeAppealWindow: Int64?
    @Option(help: "Refund in basis points when nobody rules (default 5000).") var disputeDefaultRefundBps: Int?

    /// The policy, validated.
    func policy() throws -> DisputePolicy {
        var policy = DisputePolicy()
        func ms(_ seconds: Int64, _ flag: String) throws -> Int64 {
            guard seconds > 0, seconds <= 10 * 365 * 86_400 else {
                throw ValidationError("--\(flag) must be 1 s to 10 years")
            }
            return seconds * 1000
        }
        if let value = disputeResponseWindow { policy.responseWindowMs = try ms(value, "dispute-response-window") }
        if let value = disputeRulingWindow { policy.rulingWindowMs = try ms(value, "dispute-ruling-window") }
        if let value = disputeAppealWindow { policy.appealWindowMs = try ms(value, "dispute-appeal-window") }
        if let value = disputeDefaultRefundBps { policy.defaultRefundBps = value }
        do { try policy.validate() } catch { throw ValidationError(error.detail) }
        return policy
    }
}
