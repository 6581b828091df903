import CSQLite
import KuraCore

/// A value bound to, or read from, a statement.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    /// The integer, if this is one.
    public var int64: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The text, if this is text.
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    /// The bytes, if this is a blob.
    public var blob: [UInt8]? { if case .blob(let v) = self { v } else { nil } }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement, owned and cached by its connection.
public final class SQLiteStatement {
    let raw: OpaquePointer
    unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds values to parameters 1…n.
    public func bind(_ values: [SQLiteValue]) throws(KuraError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(raw, index)
            case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
            case .text(let v): rc = sqlite3_bind_text(raw, index, v, -1, transient)
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), transient) }
            }
            guard rc == SQLITE_OK else { throw SQLiteConnection.error(rc, connection.lastErrorMessage) }
        }
    }

    /// Advances; true when a row is ready, false when done.
    public func step() throws(KuraError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.lastErrorMessage
            sqlite3_reset(raw)
            throw SQLiteConnection.error(rc, message)
        }
    }

    /// Column `index` of the current row.
    public func value(_ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(raw, index) {
        case SQLITE_INTEGER: return .integer(int64(index))
        case SQLITE_TEXT: return .text(text(index))
        case SQLITE_BLOB: return .blob(bytes(index))
        case SQLITE_FLOAT: return .integer(Int64(sqlite3_column_double(raw, index)))
        default: return .null
        }
    }

    /// The number of columns in a result row.
    public var columnCount: Int { Int(sqlite3_column_count(raw)) }

    /// Column `index` as an integer.
    public func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(raw, index) }

    /// Column `index` as text.
    public func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, index) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes (text or blob).
    public func bytes(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, index))
        guard count > 0, let pointer = sqlite3_column_blob(raw, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Every row, mapped.
    public func rows<T>(_ map: (SQLiteStatement) throws(KuraError) -> T) throws(KuraError) -> [T] {
        defer { reset() }
        var out: [T] = []
        while try step() { out.append(try map(self)) }
        return out
    }
}

extension SQLiteStatement: SQLRow {
    /// Binds shared-layer values to parameters 1…n.
    func bindValues(_ values: [SQLValue]) throws(KuraError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(raw, index)
            case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
            case .text(let v): rc = sqlite3_bind_text(raw, index, v, -1, transient)
            case .utf8(let v):
                rc = v.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, buffer.count)) {
                        sqlite3_bind_text(raw, index, $0, Int32(buffer.count), transient)
                    }
                }
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), transient) }
            }
            guard rc == SQLITE_OK else { throw SQLiteConnection.error(rc, connection.lastErrorMessage) }
        }
    }

    public func isNull(_ column: Int) -> Bool { sqlite3_column_type(raw, Int32(column)) == SQLITE_NULL }
    public func int64(_ column: Int) -> Int64 { sqlite3_column_int64(raw, Int32(column)) }
    public func text(_ column: Int) -> String { text(Int32(column)) }
    public func bytes(_ column: Int) -> [UInt8] { bytes(Int32(column)) }
    public func isInteger(_ column: Int) -> Bool {
        let type = sqlite3_column_type(raw, Int32(column))
        return type == SQLITE_INTEGER || type == SQLITE_FLOAT
    }
    public func isBlob(_ column: Int) -> Bool { sqlite3_column_type(raw, Int32(column)) == SQLITE_BLOB }
}
