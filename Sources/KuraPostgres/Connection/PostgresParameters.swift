import CLibPQ
import KuraCore
import KuraStore

/// Statement parameters encoded for the types the server gave them when the statement was prepared:
/// integers, bytes and text in binary (no quoting, no escaping, no hex), anything else as text.
/// All values share one buffer, so a statement's parameters cost one allocation.
struct PostgresParameters {
    /// Starts with one byte so that even a zero-length value has a non-null pointer (a null one is NULL).
    private var buffer: [UInt8] = [0]
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []

    var count: Int { offsets.count }

    init(_ values: [SQLValue], types: [Oid], sql: String) throws(KuraError) {
        guard values.count == types.count else {
            throw KuraError(
                .internalError, "statement takes \(types.count) parameters, \(values.count) given: \(sql.prefix(80))")
        }
        offsets.reserveCapacity(values.count)
        for (value, type) in zip(values, types) { try append(value, type, sql) }
    }

    private mutating func append(_ value: SQLValue, _ type: Oid, _ sql: String) throws(KuraError) {
        switch value {
        case .null:
            offsets.append(nil)
            lengths.append(0)
            formats.append(0)
        case .integer(let v):
            switch type {
            case PostgresType.int8: binary(withUnsafeBytes(of: v.bigEndian) { Array($0) })
            case PostgresType.int4:
                guard let narrow = Int32(exactly: v) else { throw Self.range(v, "integer", sql) }
                binary(withUnsafeBytes(of: narrow.bigEndian) { Array($0) })
            case PostgresType.int2:
                guard let narrow = Int16(exactly: v) else { throw Self.range(v, "smallint", sql) }
                binary(withUnsafeBytes(of: narrow.bigEndian) { Array($0) })
            case PostgresType.bool:
                guard v == 0 || v == 1 else { throw Self.range(v, "boolean", sql) }
                binary([UInt8(v)])
            default: textual(Array(String(v).utf8))
            }
        case .text(let v): try append(.utf8(Array(v.utf8)), type, sql)
        case .utf8(let v):
            if type == PostgresType.jsonb {
                binary([1] + v)
            } else if PostgresType.isTextual(type) || type == PostgresType.bytea {
                binary(v)
            } else {
                textual(v)
            }
        case .blob(let v):
            guard type == PostgresType.bytea || PostgresType.isTextual(type) else {
                throw KuraError(.internalError, "bytes bound to a parameter of type \(type): \(sql.prefix(80))")
            }
            binary(v)
        }
    }

    private mutating func binary(_ bytes: [UInt8]) {
        offsets.append(buffer.count)
        lengths.append(Int32(bytes.count))
        formats.append(1)
        buffer.append(contentsOf: bytes)
    }

    /// Text-format values are read up to a NUL, so each gets one.
    private mutating func textual(_ bytes: [UInt8]) {
        offsets.append(buffer.count)
        lengths.append(Int32(bytes.count))
        formats.append(0)
        buffer.append(contentsOf: bytes)
        buffer.append(0)
    }

    private static func range(_ value: Int64, _ type: String, _ sql: String) -> KuraError {
        KuraError(.internalError, "\(value) does not fit a \(type) parameter: \(sql.prefix(80))")
    }

    /// Calls `body` with libpq's three parallel arrays (values, lengths, formats).
    func withPointers<R>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        buffer.withUnsafeBufferPointer { storage in
            let base = UnsafeRawPointer(storage.baseAddress!)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return values.withUnsafeBufferPointer { v in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in body(v.baseAddress, l.baseAddress, f.baseAddress) }
                }
            }
        }
    }
}
