import ArgumentParser
import Foundation
import KuraCore

/// The effective settings of `kura serve`: each one from its command-line flag, else its environment
/// variable (`KURA_` and the flag's name in capitals, `-` as `_`: `--log-level` is `KURA_LOG_LEVEL`), else
/// the configuration file (`--config FILE` or `KURA_CONFIG`; its names are the flags' without dashes), else
/// its default. ``printed()`` shows them with where each came from, secrets masked.
struct ServeSettings: Sendable {
    /// One setting of `kura serve`.
    struct Setting: Sendable {
        /// The flag's name without dashes, also the configuration file's key.
        let name: String
        /// The value when nothing sets it (empty: unset).
        let fallback: [String]
        /// Whether it may be given several times (in the environment: comma-separated).
        var repeatable = false
        /// Whether its value is masked when printed.
        var secret = false
        /// Further environment variables read, in order, when ``environmentName`` is not set.
        var environmentAliases: [String] = []

        /// The environment variable, e.g. `KURA_LOG_LEVEL`.
        var environmentName: String { "KURA_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    }

    /// Where a value came from.
    enum Origin: Sendable, Equatable, CustomStringConvertible {
        case flag
        case environment(String)
        case file(String)
        case fallback

        var description: String {
            switch self {
            case .flag: "command line"
            case .environment(let name): "environment \(name)"
            case .file(let path): "file \(path)"
            case .fallback: "default"
            }
        }
    }

    /// Every setting, in the order `--print-config` lists them.
    static let all: [Setting] = [
        // KURA_DATABASE_URL is the name every other command reads too (postgres://USER@HOST:PORT/DB).
        Setting(name: "db", fallback: ["kura.sqlite"], environmentAliases: ["KURA_DATABASE_URL"]),
        Setting(name: "service-key-file", fallback: []),
        Setting(name: "host", fallback: ["127.0.0.1"]),
        Setting(name: "port", fallback: ["8402"]),
        Setting(name: "log-level", fallback: ["info"]),
        Setting(name: "log-format", fallback: ["text"]),
        Setting(name: "rate-limit", fallback: ["20"]),
        Setting(name: "anonymous-rate-limit", fallback: ["400"]),
        Setting(name: "trusted-proxy", fallback: [], repeatable: true),
        Setting(name: "idle-timeout-ms", fallback: ["15000"]),
        Setting(name: "request-signature-v1-until", fallback: []),
        Setting(name: "metrics", fallback: ["operator"]),
        Setting(name: "metrics-host", fallback: ["127.0.0.1"]),
        Setting(name: "metrics-port", fallback: ["9402"]),
        Setting(name: "explorer", fallback: ["on"]),
        Setting(name: "jose-alg", fallback: ["EdDSA"]),
        Setting(name: "ready-stall-seconds", fallback: ["10"]),
        Setting(name: "sqlite-cache-mib", fallback: ["64"]),
        Setting(name: "api-key-cache-ms", fallback: ["1000"]),
        Setting(name: "dispute-response-window", fallback: []),
        Setting(name: "dispute-ruling-window", fallback: []),
        Setting(name: "dispute-appeal-window", fallback: []),
        Setting(name: "dispute-default-refund-bps", fallback: []),
        Setting(name: "channel-min-challenge", fallback: []),
        Setting(name: "channel-min-lifetime", fallback: []),
        Setting(name: "previous-verifier-key", fallback: [], repeatable: true),
        // A JSON-RPC URL often carries the provider's API key in its path or query.
        Setting(name: "solana-rpc", fallback: [], repeatable: true, secret: true),
        Setting(name: "solana-network", fallback: [], repeatable: true),
        Setting(name: "solana-fee-payer-key", fallback: [], repeatable: true),
        Setting(name: "solana-treasury-key", fallback: [], repeatable: true),
        Setting(name: "solana-asset", fallback: [], repeatable: true),
        Setting(name: "solana-commitment", fallback: []),
        Setting(name: "solana-receipt-commitment", fallback: []),
        Setting(name: "solana-confirm-timeout-ms", fallback: []),
        Setting(name: "solana-withdrawal-max", fallback: []),
        Setting(name: "solana-withdrawal-daily-max", fallback: []),
        Setting(name: "solana-max-compute-unit-price", fallback: []),
    ]

    /// The configuration file's names, each with whether it may repeat.
    static var fileNames: [String: Bool] {
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.repeatable) })
    }

    private var values: [String: (values: [String], origin: Origin)] = [:]

    /// Resolves every setting. `flags` holds what the command line gave (by setting name).
    init(flags: [String: [String]], environment: [String: String], file: ConfigFile?) {
        for setting in Self.all {
            if let given = flags[setting.name], !given.isEmpty {
                values[setting.name] = (given, .flag)
            } else if let (variable, text) = ([setting.environmentName] + setting.environmentAliases).lazy
                .compactMap({ name in environment[name].map { (name, $0) } }).first
            {
                let given =
                    setting.repeatable
                    ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    : [text]
                values[setting.name] = (given, .environment(variable))
            } else if let file, let given = file.values[setting.name] {
                values[setting.name] = (given, .file(file.path))
            } else {
                values[setting.name] = (setting.fallback, .fallback)
            }
        }
    }

    /// Resolves every setting from `flags`, `environment` and the configuration file `config` (else
    /// `KURA_CONFIG`, else none): what `kura serve` runs with, and what local commands read their dispute policy
    /// from.
    static func resolve(flags: [String: [String]], config: String?, environment: [String: String]) throws
        -> ServeSettings
    {
        var file: ConfigFile?
        if let path = config ?? environment["KURA_CONFIG"] {
            do { file = try ConfigFile.load(path, known: fileNames) } catch { throw ValidationError(error.detail) }
        }
        return ServeSettings(flags: flags, environment: environment, file: file)
    }

    /// The value of a single setting, or nil when unset.
    func value(_ name: String) -> String? { values[name]?.values.last }

    /// Every value of a repeatable setting.
    func list(_ name: String) -> [String] { values[name]?.values ?? [] }

    /// Where the setting came from.
    func origin(_ name: String) -> Origin { values[name]?.origin ?? .fallback }

    /// The setting's name as the operator wrote it, for errors: `--port`, `KURA_PORT` or `port in FILE`.
    func source(_ name: String) -> String {
        switch origin(name) {
        case .flag, .fallback: "--\(name)"
        case .environment(let variable): variable
        case .file(let path): "\(name) in \(path)"
        }
    }

    /// The settings as a configuration file (so the output can be saved as one), each line commented with its
    /// origin and environment variable. Secrets are masked, and so is the password of a URL.
    func printed() -> String {
        var lines = ["# kura serve: effective configuration (flag > environment > file > default)"]
        for setting in Self.all {
            let given = values[setting.name]?.values ?? []
            let comment =
                "  # \(origin(setting.name)); "
                + ([setting.environmentName] + setting.environmentAliases).joined(separator: ", ")
            if given.isEmpty {
                lines.append("# \(setting.name) =\(comment)")
                continue
            }
            for value in given {
                let shown = setting.secret ? "********" : Self.maskingPassword(value)
                lines.append("\(setting.name) = \(ConfigFile.quoted(shown))\(comment)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `scheme://user:secret@host/…` with the password replaced by `********`; anything else as it is.
    static func maskingPassword(_ value: String) -> String {
        guard let scheme = value.range(of: "://") else { return value }
        let rest = value[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return value
        }
        return String(value[..<authority.index(after: colon)]) + "********" + String(value[at...])
    }
}
