/// Decodes a `Decodable` straight from a `JSONValue`, without canonical text or Foundation's `JSONDecoder`.
/// Numbers decode into integer types only when integral and exact; errors are `DecodingError`s with paths.
struct JSONValueDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try read(T.self, value, [])
    }

    static func read<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        if let primitive = try primitive(T.self, value, path) { return primitive }
        return try T(from: Impl(value: value, codingPath: path))
    }

    /// ``read(_:_:_:)`` of an object's member: its path (the object's and the key) is made only when it is needed,
    /// for a nested container or an error, not for every string and number a request holds.
    static func read<T: Decodable>(_ type: T.Type, _ value: JSONValue, in parent: [any CodingKey], key: any CodingKey)
        throws -> T
    {
        do {
            if let primitive = try primitive(T.self, value, parent) { return primitive }
        } catch let error as DecodingError {
            throw error.at(parent + [key])
        }
        return try T(from: Impl(value: value, codingPath: parent + [key]))
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(value.kindName)"))
    }

    static func integer(_ value: JSONValue, _ path: [any CodingKey], _ type: Any.Type) throws -> Int64 {
        guard case .number(let n) = value else { throw mismatch(type, value, path) }
        guard n.rounded(.towardZero) == n, n.magnitude <= 9_007_199_254_740_991 else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(n) is not an exact integer"))
        }
        return Int64(n)
    }

    static func fit<I: FixedWidthInteger>(_ v: Int64, _ type: I.Type, _ path: [any CodingKey]) throws -> I {
        guard let fitted = I(exactly: v) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(v) does not fit \(I.self)"))
        }
        return fitted
    }

    static func primitive<T>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T? {
        if T.self == String.self {
            guard case .string(let s) = value else { throw mismatch(T.self, value, path) }
            return (s as! T)
        }
        if T.self == Bool.self {
            guard case .bool(let b) = value else { throw mismatch(T.self, value, path) }
            return (b as! T)
        }
        if T.self == Double.self {
            guard case .number(let n) = value else { throw mismatch(T.self, value, path) }
            return (n as! T)
        }
        if T.self == JSONValue.self { return (value as! T) }
        if T.self == Int64.self { return (try integer(value, path, T.self) as! T) }
        if T.self == UInt64.self { return (try fit(integer(value, path, T.self), UInt64.self, path) as! T) }
        if T.self == Int.self { return (try fit(integer(value, path, T.self), Int.self, path) as! T) }
        if T.self == UInt.self { return (try fit(integer(value, path, T.self), UInt.self, path) as! T) }
        if T.self == Int32.self { return (try fit(integer(value, path, T.self), Int32.self, path) as! T) }
        if T.self == UInt32.self { return (try fit(integer(value, path, T.self), UInt32.self, path) as! T) }
        if T.self == UInt8.self { return (try fit(integer(value, path, T.self), UInt8.self, path) as! T) }
        if T.self == Float.self {
            guard case .number(let n) = value else { throw mismatch(T.self, value, path) }
            return (Float(n) as! T)
        }
        return nil
    }

    struct Impl: Decoder {
        let value: JSONValue
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .object(let members) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
            return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
            return Unkeyed(items: items, codingPath: codingPath)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer {
            Single(value: value, codingPath: codingPath)
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        var codingPath: [any CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        private func member(_ key: Key) throws -> JSONValue {
            guard let value = members[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let value = try member(key)
            if value == .null, !(T.self == JSONValue.self) {
                throw DecodingError.valueNotFound(
                    T.self, .init(codingPath: codingPath + [key], debugDescription: "null for '\(key.stringValue)'"))
            }
            return try JSONValueDecoder.read(T.self, value, in: codingPath, key: key)
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try Impl(value: member(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try Impl(value: member(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder { Impl(value: members["super"] ?? .null, codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            Impl(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [JSONValue]
        var codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        private mutating func next(_ type: Any.Type) throws -> JSONValue {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "array ended"))
            }
            defer { currentIndex += 1 }
            return items[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, items[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONValueDecoder.read(T.self, next(T.self), codingPath)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try Impl(value: next([String: JSONValue].self), codingPath: codingPath).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try Impl(value: next([JSONValue].self), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder {
            Impl(value: try next(JSONValue.self), codingPath: codingPath)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        var codingPath: [any CodingKey]
        func decodeNil() -> Bool { value == .null }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValueDecoder.read(T.self, value, codingPath) }
    }
}

extension DecodingError {
    /// The same error at `path`: a primitive's error, made with its parent's path, moved to the member's.
    func at(_ path: [any CodingKey]) -> DecodingError {
        switch self {
        case .typeMismatch(let type, let context):
            .typeMismatch(type, .init(codingPath: path, debugDescription: context.debugDescription))
        case .valueNotFound(let type, let context):
            .valueNotFound(type, .init(codingPath: path, debugDescription: context.debugDescription))
        case .keyNotFound(let key, let context):
            .keyNotFound(key, .init(codingPath: path, debugDescription: context.debugDescription))
        case .dataCorrupted(let context):
            .dataCorrupted(.init(codingPath: path, debugDescription: context.debugDescription))
        @unknown default: self
        }
    }
}

extension JSONValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
