/// A value bound to, or read from, a PostgreSQL statement. The same four shapes as the SQLite backend's
/// values, so one SQL layer can hand both backends the same bindings.
public enum PostgresValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])

    /// The integer, if this is one.
    public var int64: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The text, if this is text.
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    /// The bytes, if these are bytes.
    public var bytes: [UInt8]? { if case .bytes(let v) = self { v } else { nil } }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .text(let v): "'\(v)'"
        case .bytes(let v): "<\(v.count) bytes>"
        }
    }
}
