import Foundation

/// The differences between the SQL of the two backends that the shared statements care about.
///
/// Shared statement text is written for SQLite: `?` placeholders, `INTEGER`, `BLOB`, and the marker
/// `/*WITHOUT_ROWID*/` after a table that SQLite should store clustered, and SQLite's
/// `json_extract(column, '$.field')` for a top-level text field of a JSON column. `INSERT … ON CONFLICT … DO UPDATE`
/// and `DO NOTHING` mean the same in both.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    /// `text` as this dialect's SQL: for PostgreSQL, `?` becomes `$1`, `$2`, … (outside quoted strings),
    /// `INTEGER` becomes `BIGINT`, `BLOB` becomes `BYTEA`, the `WITHOUT ROWID` marker is dropped, and
    /// `json_extract(column, '$.field')` becomes `((column)::jsonb ->> 'field')` (immutable, so it can be indexed).
    public func translate(_ text: String) -> String {
        switch self {
        case .sqlite:
            return text.replacingOccurrences(of: "/*WITHOUT_ROWID*/", with: "WITHOUT ROWID")
        case .postgres:
            var out = ""
            out.reserveCapacity(text.utf8.count + 16)
            var parameter = 0
            var quoted = false
            for character in text {
                if character == "'" { quoted.toggle() }
                if character == "?" && !quoted {
                    parameter += 1
                    out += "$\(parameter)"
                } else {
                    out.append(character)
                }
            }
            return
                out
                .replacingOccurrences(
                    of: #"json_extract\((\w+), '\$\.(\w+)'\)"#, with: "(($1)::jsonb ->> '$2')",
                    options: .regularExpression
                )
                .replacingOccurrences(of: "/*WITHOUT_ROWID*/", with: "")
                .replacingWholeWord("INTEGER", with: "BIGINT")
                .replacingWholeWord("BLOB", with: "BYTEA")
        }
    }
}

extension String {
    /// Replaces `word` where it stands as a whole word (letters, digits and `_` around it end a word).
    fileprivate func replacingWholeWord(_ word: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        func isWordCharacter(_ c: Character?) -> Bool {
            guard let c else { return false }
            return c.isLetter || c.isNumber || c == "_"
        }
        while let range = rest.range(of: word) {
            let before = range.lowerBound == rest.startIndex ? out.last : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            out += rest[..<range.lowerBound]
            out += isWordCharacter(before) || isWordCharacter(after) ? word : replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
