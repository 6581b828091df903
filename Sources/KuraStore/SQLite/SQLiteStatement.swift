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

extension SQLiteValue {
    /// The same value in the shared layer's terms, which one binder binds.
    var shared: SQLValue {
        switch self {
        case .null: .null
        case .integer(let v): .integer(v)
        case .text(let v): .text(v)
        case .blob(let v): .blob(v)
        }
    }
}

extension SQLValue {
    /// The bytes a binding copies.
    var byteCount: Int {
        switch self {
        case .text(let v): v.utf8.count
        case .utf8(let v), .blob(let v): v.count
        case .null, .integer: 0
        }
    }
}

/// A prepared statement, owned and cached by its connection.
public final class SQLiteStatement {
    let raw: OpaquePointer
    unowned let connection: SQLiteConnection
    /// Where this statement's text and blob parameters are copied when they are bound (``Binding``), kept from
    /// one use to the next; ``reset()`` clears the bindings that point into it.
    private var arena: UnsafeMutableRawPointer?
    private var arenaCapacity = 0

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(raw)
        arena?.deallocate()
    }

    /// The most bytes a statement keeps for its bindings between uses; a use that binds more lets SQLite copy them.
    static let arenaLimit = 1 << 18

    /// Room for `bytes` bytes of bindings, or nil for none or beyond ``arenaLimit``.
    fileprivate func arena(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0, bytes <= Self.arenaLimit else { return nil }
        if bytes > arenaCapacity {
            arena?.deallocate()
            arenaCapacity = min(Self.arenaLimit, max(bytes, 2 * arenaCapacity, 256))
            arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 8)
        }
        return arena
    }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds values to parameters 1…n.
    public func bind(_ values: [SQLiteValue]) throws(KuraError) { try bindValues(values.map(\.shared)) }

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
    ///
    /// The statement is reset and its bindings cleared first, before its arena is written or moved: a caller of
    /// the public ``bind(_:)`` that binds again without a reset, or while a scan runs, must not leave SQLite
    /// reading parameters out of bytes that were overwritten or freed. (Binding during a scan restarts it.)
    func bindValues(_ values: [SQLValue]) throws(KuraError) {
        reset()
        var binding = Binding(self, bytes: values.reduce(0) { $0 + $1.byteCount })
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: try binding.check(sqlite3_bind_null(raw, index))
            case .integer(let v): try binding.check(sqlite3_bind_int64(raw, index, v))
            case .text(let v): try binding.text(index, v)
            case .utf8(let v): try binding.bytes(index, v, asText: true)
            case .blob(let v): try binding.bytes(index, v, asText: false)
            }
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

/// Binds a statement's text and blob parameters.
///
/// SQLite copies a parameter bound as transient into memory it allocates, and frees it at the next binding: each
/// text of each row of a batch's multi-row inserts, with a C string made of each Swift string on the way to have
/// its length counted (most of the time the writer spent binding values, issue 15). Here every parameter of one
/// use is copied into the statement's own arena, at its length, and bound as static: SQLite reads it in place
/// until ``SQLiteStatement/reset()`` clears the bindings, which every use of a statement ends with.
private struct Binding {
    let statement: SQLiteStatement
    let arena: UnsafeMutableRawPointer?
    var used = 0

    init(_ statement: SQLiteStatement, bytes: Int) {
        self.statement = statement
        arena = statement.arena(bytes)
    }

    func check(_ rc: Int32) throws(KuraError) {
        guard rc == SQLITE_OK else { throw SQLiteConnection.error(rc, statement.connection.lastErrorMessage) }
    }

    mutating func text(_ index: Int32, _ text: String) throws(KuraError) {
        var rc = text.utf8.withContiguousStorageIfAvailable { bind(index, UnsafeRawBufferPointer($0), asText: true) }
        if rc == nil {
            var text = text
            rc = text.withUTF8 { bind(index, UnsafeRawBufferPointer($0), asText: true) }
        }
        try check(rc ?? SQLITE_MISUSE)
    }

    mutating func bytes(_ index: Int32, _ bytes: [UInt8], asText: Bool) throws(KuraError) {
        try check(bytes.withUnsafeBytes { bind(index, $0, asText: asText) })
    }

    /// Copies `bytes` into the arena and binds them there (or lets SQLite copy them, past the arena's limit).
    /// A parameter is never bound to a null pointer: SQLite would read NULL, not an empty text or blob.
    private mutating func bind(_ index: Int32, _ bytes: UnsafeRawBufferPointer, asText: Bool) -> Int32 {
        let raw = statement.raw
        let count = Int32(bytes.count)
        guard let arena else {
            guard let source = bytes.baseAddress else {
                return asText ? sqlite3_bind_text(raw, index, "", 0, transient) : sqlite3_bind_zeroblob(raw, index, 0)
            }
            return asText
                ? sqlite3_bind_text(raw, index, source.assumingMemoryBound(to: CChar.self), count, transient)
                : sqlite3_bind_blob(raw, index, source, count, transient)
        }
        let target = arena + used
        if let source = bytes.baseAddress { target.copyMemory(from: source, byteCount: bytes.count) }
        used += bytes.count
        return asText
            ? sqlite3_bind_text(raw, index, target.assumingMemoryBound(to: CChar.self), count, nil)
            : sqlite3_bind_blob(raw, index, target, count, nil)
    }
}
