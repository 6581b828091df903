import CLibPQ
import KuraCore
import KuraStore

/// The rows of one statement's result, in binary format, owned until this value is released.
///
/// Columns are decoded by their server type: `bigint`/`integer`/`smallint`/`boolean` and integral
/// `numeric` (what `sum(bigint)` gives) as integers, `bytea` as bytes, text-like types as text.
public final class PostgresRows {
    let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }

    deinit { PQclear(result) }

    /// The number of rows.
    public var count: Int { Int(PQntuples(result)) }

    /// The number of columns.
    public var columnCount: Int { Int(PQnfields(result)) }

    /// The rows an INSERT, UPDATE or DELETE changed (0 for other statements).
    public var affectedRows: Int {
        guard let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// The command tag, e.g. `INSERT 0 64`, `COMMIT`, or `ROLLBACK` for a COMMIT of a failed transaction.
    public var commandStatus: String {
        guard let text = PQcmdStatus(result) else { return "" }
        return String(cString: text)
    }

    /// Whether the value at (`row`, `column`) is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The value at (`row`, `column`), decoded by its column's type.
    public func value(_ row: Int, _ column: Int) -> SQLValue {
        if isNull(row, column) { return .null }
        let raw = raw(row, column)
        switch PQftype(result, Int32(column)) {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.bool, PostgresType.oid:
            return PostgresType.integer(raw, type: PQftype(result, Int32(column))).map { .integer($0) } ?? .null
        case PostgresType.numeric:
            return PostgresType.numericInteger(raw).map { .integer($0) } ?? .text(PostgresType.numericText(raw))
        case PostgresType.bytea:
            return .blob(Array(raw))
        case PostgresType.void:
            return .null
        case PostgresType.jsonb:
            return .text(String(decoding: raw.dropFirst(), as: UTF8.self))
        default:
            return .text(String(decoding: raw, as: UTF8.self))
        }
    }

    /// Whether column `column` holds integers (an integral `numeric` counts, as SQLite's sums do).
    public func isInteger(_ column: Int) -> Bool {
        switch PQftype(result, Int32(column)) {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.oid, PostgresType.bool: return true
        case PostgresType.numeric:
            return (0..<count).allSatisfy { isNull($0, column) || value($0, column).int64 != nil }
        default: return false
        }
    }

    /// Column `column` of row `row` as an integer (0 when NULL or not an integer).
    public func int64(_ row: Int, _ column: Int) -> Int64 { value(row, column).int64 ?? 0 }

    /// Column `column` of row `row` as text (empty when NULL).
    public func text(_ row: Int, _ column: Int) -> String {
        isNull(row, column) ? "" : String(decoding: raw(row, column), as: UTF8.self)
    }

    /// Column `column` of row `row` as bytes (the raw value: a `bytea`'s bytes, a `text`'s UTF-8).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        isNull(row, column) ? [] : Array(raw(row, column))
    }

    /// The binary value's bytes, valid while this result lives.
    func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard length > 0, let pointer = PQgetvalue(result, Int32(row), Int32(column)) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }
}
