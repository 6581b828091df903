/// Encodes an `Encodable` straight into a `JSONValue`, or straight into its RFC 8785 canonical bytes, without
/// Foundation's `JSONEncoder`, text, or a second parse: the hot path of every command (event payloads,
/// read-model rows, receipt leaves, replies).
///
/// It follows `JSONEncoder`'s defaults: `nil` optionals in synthesized conformances are omitted,
/// integers are exact (one beyond ±2^53−1 is an error rather than rounded), NaN and infinities are errors.
/// A key written twice keeps its last value, in both outputs.
struct JSONValueEncoder {
    /// `value` written into a slot: `resolve()` gives its `JSONValue`, `canonicalBytes()` the same bytes as that
    /// value's `canonicalBytes()` without building it (its dictionaries cost a hash of every key, twice).
    static func encode(_ value: some Encodable) throws -> Slot {
        let slot = Slot()
        try write(value, into: slot, path: [])
        return slot
    }

    /// A place a value is written into; containers hold further slots, resolved at the end. An object's
    /// members stay in the order written, so the canonical writer sorts them once and hashes none; a member
    /// that is a primitive is held as its value, without a slot of its own.
    final class Slot {
        var value: JSONValue = .null
        var object: [Member]?
        var array: [Slot]?

        struct Member {
            let key: String
            let value: JSONValue
            let slot: Slot?

            var resolved: JSONValue { slot?.resolve() ?? value }
        }

        func resolve() -> JSONValue {
            if let object {
                return .object(Dictionary(object.map { ($0.key, $0.resolved) }, uniquingKeysWith: { $1 }))
            }
            if let array { return .array(array.map { $0.resolve() }) }
            return value
        }

        func canonicalBytes() throws(JSONError) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(256)
            try writeCanonical(to: &out)
            return out
        }

        func writeCanonical(to out: inout [UInt8]) throws(JSONError) {
            if let object {
                // The JSONValue path merges keys by String's equality (a Dictionary), which for ASCII keys is equality
                // of bytes, the order sorted on below; an object with any other key takes that path itself.
                guard object.allSatisfy({ $0.key.utf8.allSatisfy { $0 < 0x80 } }) else {
                    return try CanonicalWriter.write(resolve(), to: &out)
                }
                // By key, then by position: of a key written twice, the last one is kept.
                let order = object.indices.sorted {
                    object[$0].key == object[$1].key
                        ? $0 < $1 : CanonicalWriter.utf16Precedes(object[$0].key, object[$1].key)
                }
                out.append(UInt8(ascii: "{"))
                var first = true
                for (n, i) in order.enumerated() {
                    if n + 1 < order.count, object[order[n + 1]].key == object[i].key { continue }
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    CanonicalWriter.writeString(object[i].key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    if let slot = object[i].slot {
                        try slot.writeCanonical(to: &out)
                    } else {
                        try CanonicalWriter.write(object[i].value, to: &out)
                    }
                }
                out.append(UInt8(ascii: "}"))
            } else if let array {
                out.append(UInt8(ascii: "["))
                for (i, element) in array.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    try element.writeCanonical(to: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else {
                try CanonicalWriter.write(value, to: &out)
            }
        }
    }

    struct Impl: Encoder {
        let slot: Slot
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if slot.object == nil { slot.object = [] }
            return KeyedEncodingContainer(Keyed<Key>(slot: slot, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if slot.array == nil { slot.array = [] }
            return Unkeyed(slot: slot, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }
    }

    /// Exact type checks (not `as?` casts, which Foundation's bridging can stretch: an Int is not a Bool). The
    /// path is made only for an error.
    static func primitive<T: Encodable>(_ value: T, _ path: @autoclosure () -> [any CodingKey]) throws -> JSONValue? {
        let t = T.self
        if t == String.self { return .string(value as! String) }
        if t == Bool.self { return .bool(value as! Bool) }
        if t == Int64.self { return try integer(value as! Int64, path) }
        if t == UInt64.self { return try unsigned(value as! UInt64, path) }
        if t == Int.self { return try integer(Int64(value as! Int), path) }
        if t == Double.self { return try number(value as! Double, path) }
        if t == JSONValue.self { return (value as! JSONValue) }
        if t == UInt.self { return try unsigned(UInt64(value as! UInt), path) }
        if t == Int32.self { return .number(Double(value as! Int32)) }
        if t == UInt32.self { return .number(Double(value as! UInt32)) }
        if t == Int16.self { return .number(Double(value as! Int16)) }
        if t == UInt16.self { return .number(Double(value as! UInt16)) }
        if t == Int8.self { return .number(Double(value as! Int8)) }
        if t == UInt8.self { return .number(Double(value as! UInt8)) }
        if t == Float.self { return try number(Double(value as! Float), path) }
        return nil
    }

    static let exactLimit: UInt64 = (1 << 53) - 1

    static func integer(_ v: Int64, _ path: () -> [any CodingKey]) throws -> JSONValue {
        guard v.magnitude <= exactLimit else { throw invalid(v, path(), "integer \(v) is beyond ±2^53-1") }
        return .number(Double(v))
    }

    static func unsigned(_ v: UInt64, _ path: () -> [any CodingKey]) throws -> JSONValue {
        guard v <= exactLimit else { throw invalid(v, path(), "integer \(v) is beyond 2^53-1") }
        return .number(Double(v))
    }

    static func number(_ v: Double, _ path: () -> [any CodingKey]) throws -> JSONValue {
        guard v.isFinite else { throw invalid(v, path(), "\(v) is not a JSON number") }
        return .number(v)
    }

    static func invalid(_ value: Any, _ path: [any CodingKey], _ why: String) -> EncodingError {
        EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: why))
    }

    /// Writes `value` into `slot`: a primitive directly, anything else through its own `encode(to:)`.
    static func write<T: Encodable>(_ value: T, into slot: Slot, path: [any CodingKey]) throws {
        if let json = try primitive(value, path) {
            slot.value = json
        } else {
            try value.encode(to: Impl(slot: slot, codingPath: path))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: Slot
        var codingPath: [any CodingKey]

        private func child(_ key: Key) -> Slot {
            let child = Slot()
            slot.object?.append(Slot.Member(key: key.stringValue, value: .null, slot: child))
            return child
        }

        mutating func encodeNil(forKey key: Key) throws {
            slot.object?.append(Slot.Member(key: key.stringValue, value: .null, slot: nil))
        }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let json = try JSONValueEncoder.primitive(value, codingPath + [key]) {
                slot.object?.append(Slot.Member(key: key.stringValue, value: json, slot: nil))
            } else {
                try value.encode(to: Impl(slot: child(key), codingPath: codingPath + [key]))
            }
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            Impl(slot: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            Impl(slot: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            Impl(slot: child(Key(stringValue: "super")!), codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            Impl(slot: child(key), codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let slot: Slot
        var codingPath: [any CodingKey]
        var count: Int { slot.array?.count ?? 0 }

        private func next() -> Slot {
            let child = Slot()
            slot.array?.append(child)
            return child
        }

        mutating func encodeNil() throws { next().value = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try JSONValueEncoder.write(value, into: next(), path: codingPath)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            Impl(slot: next(), codingPath: codingPath).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            Impl(slot: next(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { Impl(slot: next(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let slot: Slot
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.value = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try JSONValueEncoder.write(value, into: slot, path: codingPath)
        }
    }
}
