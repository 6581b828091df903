import CLibPQ
import KuraCore

/// Where a PostgreSQL database is: a `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAM=…]` URL (the
/// libpq URI syntax, so a Unix socket is `postgres://USER@%2Frun%2Fpostgresql/DB` or `?host=/run/postgresql`).
///
/// libpq parses it; the parsed keywords are kept so the database can be swapped (``withDatabase(_:)``)
/// and so that ``description`` can print the address without its password: Kura logs and error messages
/// only ever show the description.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The libpq connection keywords and values the URL gave, in libpq's order.
    public let options: [(keyword: String, value: String)]

    /// Parses `text`; anything libpq cannot parse is `invalid_request` (the message names no password).
    public init(_ text: String) throws(KuraError) {
        guard Self.isPostgres(text) else {
            throw KuraError(.invalidRequest, "a PostgreSQL URL starts with postgres:// or postgresql://")
        }
        var message: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(text, &message) else {
            let reason = message.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(message)
            // libpq quotes the piece it choked on, which can be the password (an unencoded `%` in it) or the
            // whole URL: only its words before the first quote are kept.
            let words = reason.prefix { $0 != "\"" }.trimmingWhitespace
            throw KuraError(
                .invalidRequest,
                "cannot parse the PostgreSQL URL: \(words.hasSuffix(":") ? String(words.dropLast()) : words)"
                    + " (reserved characters in a password must be percent-encoded)")
        }
        defer { PQconninfoFree(parsed) }
        var options: [(String, String)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        self.options = options
    }

    init(options: [(keyword: String, value: String)]) { self.options = options }

    /// Whether `text` is meant as a PostgreSQL URL rather than a file path.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The value of one libpq keyword (`host`, `port`, `user`, `dbname`, …), if the URL set it.
    public subscript(keyword: String) -> String? { options.last { $0.keyword == keyword }?.value }

    /// The database name, if the URL names one (libpq defaults it to the user name).
    public var database: String? { self["dbname"] }

    /// The same server and credentials, another database.
    public func withDatabase(_ name: String) -> PostgresURL {
        PostgresURL(options: options.filter { $0.keyword != "dbname" } + [("dbname", name)])
    }

    /// The same URL with an extra (or replaced) libpq keyword, e.g. `connect_timeout`.
    public func setting(_ keyword: String, _ value: String) -> PostgresURL {
        PostgresURL(options: options.filter { $0.keyword != keyword } + [(keyword, value)])
    }

    /// The address as a URL with no password (and no other secret keyword): safe to log.
    public var description: String {
        // The secrets are left out; the address keywords are written in the URL's own places.
        let secrets: Set<String> = ["password", "sslpassword"]
        let placed: Set<String> = ["host", "port", "user", "dbname"]
        var text = "postgres://"
        if let user = self["user"] { text += Self.escape(user) + "@" }
        if let host = self["host"] { text += Self.escape(host) }
        if let port = self["port"] { text += ":" + port }
        text += "/" + Self.escape(self["dbname"] ?? "")
        let rest = options.filter { !secrets.contains($0.keyword) && !placed.contains($0.keyword) }
        if !rest.isEmpty {
            text += "?" + rest.map { "\($0.keyword)=\(Self.escape($0.value))" }.joined(separator: "&")
        }
        return text
    }

    /// Percent-encodes what the URI syntax reserves (a socket directory's slashes, `@`, `:`…).
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    public static func == (lhs: PostgresURL, rhs: PostgresURL) -> Bool {
        lhs.options.map(\.keyword) == rhs.options.map(\.keyword) && lhs.options.map(\.value) == rhs.options.map(\.value)
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        return String(scalars)
    }

    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
