import ArgumentParser
import Foundation
import KuraCore

/// The dispute policy an operator may set on `kura serve` and `kura sweep`; unset values keep the
/// defaults of ``DisputePolicy`` (48 h to respond, 72 h to rule, 48 h to appeal, an even split by default).
struct DisputePolicyOptions: ParsableArguments {
    @Option(help: "Seconds the payee has to answer a dispute (default 172800).") var disputeResponseWindow: Int64?
    @Option(help: "Seconds a panel has to rule (default 259200).") var disputeRulingWindow: Int64?
    @Option(help: "Seconds either side has to appeal (default 172800).") var disputeAppealWindow: Int64?
    @Option(help: "Refund in basis points when nobody rules (default 5000).") var disputeDefaultRefundBps: Int?

    /// The settings' names, as `kura serve` reads them (flag, `KURA_DISPUTE_*`, configuration file).
    static let settingNames = [
        "dispute-response-window", "dispute-ruling-window", "dispute-appeal-window", "dispute-default-refund-bps",
    ]

    /// The flags given, by setting name.
    var given: [String: [String]] {
        let values = [
            disputeResponseWindow, disputeRulingWindow, disputeAppealWindow, disputeDefaultRefundBps.map(Int64.init),
        ]
        var given: [String: [String]] = [:]
        for case (let name, let value?) in zip(Self.settingNames, values) { given[name] = [String(value)] }
        return given
    }

    /// The policy of `settings`: one rule for `kura serve` and every local command, so that a dispute moves on
    /// alike whichever process decides (the windows and the default split are the process's, not the log's).
    static func policy(_ settings: ServeSettings) throws -> DisputePolicy {
        var arguments: [String] = []
        for name in settingNames { if let value = settings.value(name) { arguments += ["--\(name)", value] } }
        do { return try parse(arguments).policy() } catch {
            throw ValidationError("dispute policy: \(message(for: error))")
        }
    }

    /// The policy of these flags, else `KURA_DISPUTE_*`, else the configuration file `config` (or `KURA_CONFIG`),
    /// as `kura serve` would resolve it.
    func resolved(config: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DisputePolicy
    {
        try Self.policy(try ServeSettings.resolve(flags: given, config: config, environment: environment))
    }

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
