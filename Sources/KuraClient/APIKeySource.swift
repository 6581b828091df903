import Foundation

/// Where a command-line program finds an API key: `--api-key-file FILE` (its first line), else
/// `--api-key KEY`, else the `KURA_API_KEY` environment variable. Any user of the machine can read a
/// process's arguments (`ps`), so the help steers people to the file or the environment, which `ps` does
/// not show.
public enum APIKeySource {
    /// The help text for `--api-key-file`.
    public static let fileHelp =
        "Read the API key from this file (its first line). Not shown by `ps`, unlike --api-key."
    /// The help text for `--api-key`.
    public static let flagHelp =
        "The API key. Visible to every user in `ps`: prefer --api-key-file or $KURA_API_KEY (used when neither flag is given)."

    /// The key the options name, or nil when none does. Throws when the file cannot be read or is empty.
    public static func resolve(
        flag: String?, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String? {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw APIKeyFileError(description: "cannot read the API key file \(file)")
            }
            let first = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            guard let key = first?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
                throw APIKeyFileError(description: "the API key file \(file) is empty")
            }
            return key
        }
        if let flag, !flag.isEmpty { return flag }
        if let key = environment["KURA_API_KEY"], !key.isEmpty { return key }
        return nil
    }
}

/// An API key file that cannot be used.
public struct APIKeyFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
