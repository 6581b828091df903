import KuraCore

/// A value bound to, or read from, an SQL statement, on either backend.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    /// Text given as its UTF-8 bytes (canonical JSON the writer already has as bytes): no String round trip.
    case utf8([UInt8])
    case blob([UInt8])

    /// The integer, if this is one.
    public var int64: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The text, if this is text.
    public var text: String? {
        switch self {
        case .text(let v): v
        case .utf8(let v): String(decoding: v, as: UTF8.self)
        default: nil
        }
    }
    /// The bytes, if this is a blob.
    public var blob: [UInt8]? { if case .blob(let v) = self { v } else { nil } }

    /// An optional integer: `null` when absent.
    public static func integer(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
    /// An optional text: `null` when absent.
    public static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
}

/// One result row, valid only inside the callback it is passed to. Columns count from 0.
public protocol SQLRow {
    /// The number of columns.
    var columnCount: Int { get }
    /// Whether the column is NULL.
    func isNull(_ column: Int) -> Bool
    /// The column as an integer (0 for NULL).
    func int64(_ column: Int) -> Int64
    /// The column as text ("" for NULL).
    func text(_ column: Int) -> String
    /// The column's bytes: a blob, or text as UTF-8 (empty for NULL).
    func bytes(_ column: Int) -> [UInt8]
    /// Whether the column holds an integer (for the projection digest's text form).
    func isInteger(_ column: Int) -> Bool
    /// Whether the column holds a blob (`BLOB` / `BYTEA`), rendered in hex by the projection digest.
    func isBlob(_ column: Int) -> Bool
}

extension SQLRow {
    /// The column as an optional integer.
    public func optionalInt64(_ column: Int) -> Int64? { isNull(column) ? nil : int64(column) }
    /// The column as optional text.
    public func optionalText(_ column: Int) -> String? { isNull(column) ? nil : text(column) }
}
