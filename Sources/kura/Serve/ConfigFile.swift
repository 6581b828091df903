import Foundation
import KuraCore

/// A `kura serve` configuration file: one `name = value` per line, the names of the command-line options
/// without their dashes (`port = 8402`, `db = /var/lib/kura/kura.sqlite`). `#` starts a comment, on a line
/// of its own or after a value (after white space); a value may be written in double quotes (`\"` and `\\`
/// inside); a repeatable option is repeated.
///
/// Strict like the HTTP API: an unknown name, a repeated one that may not repeat, or a line that is not
/// `name = value` is an error naming the line, so a typo never silently becomes a default.
struct ConfigFile: Sendable, Equatable {
    /// The path it was read from.
    var path: String
    /// Values by option name, in file order.
    var values: [String: [String]]

    /// Parses `text` (read from `path`) against the options `known` (name → repeatable).
    init(text: String, path: String, known: [String: Bool]) throws(KuraError) {
        self.path = path
        var values: [String: [String]] = [:]
        // By `isNewline`, not "\n": a file saved with CRLF endings holds "\r\n", one Character, which "\n" never
        // splits, so the whole file would read as one line and its first value would keep every line after it.
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
        {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "\(path):\(offset + 1)"
            guard let equals = line.firstIndex(of: "=") else {
                throw KuraError(.invalidRequest, "\(place): expected 'name = value'")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard let repeatable = known[name] else {
                throw KuraError(
                    .invalidRequest,
                    "\(place): unknown setting '\(RequestText.printable(name))' (see kura serve --help)")
            }
            guard repeatable || values[name] == nil else {
                throw KuraError(.invalidRequest, "\(place): '\(name)' is set twice")
            }
            let value = try Self.value(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces), place)
            values[name, default: []].append(value)
        }
        self.values = values
    }

    /// Reads and parses the file at `path`.
    static func load(_ path: String, known: [String: Bool]) throws(KuraError) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KuraError(.notFound, "cannot read the configuration file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KuraError(.invalidRequest, "\(path) is not UTF-8 text")
        }
        return try ConfigFile(text: text, path: path, known: known)
    }

    /// A bare value up to a ` #` comment, or a double-quoted one unescaped (a comment may follow it).
    static func value(_ text: String, _ place: String) throws(KuraError) -> String {
        guard text.hasPrefix("\"") else {
            var value = Substring(text)
            if let comment = text.firstRange(of: #/\s#/#) { value = text[..<comment.lowerBound] }
            return value.trimmingCharacters(in: .whitespaces)
        }
        var result = ""
        var escaped = false
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if escaped {
                guard character == "\"" || character == "\\" else {
                    throw KuraError(.invalidRequest, "\(place): only \\\" and \\\\ are escapes")
                }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                let rest = text[index...].trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw KuraError(.invalidRequest, "\(place): text after the closing quote")
                }
                return result
            } else {
                result.append(character)
            }
        }
        throw KuraError(.invalidRequest, "\(place): unterminated quote")
    }

    /// `value` as it must be written in a file so that it reads back the same.
    static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { !$0.isWhitespace && $0 != "\"" && $0 != "#" && $0 != "\\" }
        if plain { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }
}

/// Printing untrusted text in one line of an error.
enum RequestText {
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(80).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? $0 : "?" }))
    }
}
