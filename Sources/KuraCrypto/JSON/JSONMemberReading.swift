/// A `Decodable` that also reads itself straight from a parsed object's members, for types on the hot path:
/// `JSONValue.decode(_:)` tries it first, without `Decodable`'s containers, boxes and generic metadata.
///
/// The reader takes only what it is sure of: every member of the type and kind `Decodable` would read, and gives
/// up (``JSONMembers/Unread``) at anything else, so that `Decodable` reads the value instead and refuses it in its
/// own words. A conformance promises the same value as `Decodable` whenever it reads one; each is held to it by a
/// seeded test with mutated members.
public protocol JSONMemberReadable: Decodable {
    /// Reads `Self` from an object's members, or throws ``JSONMembers/Unread`` to leave it to `Decodable`.
    init(reading members: JSONMembers) throws(JSONMembers.Unread)
}

/// An object's members, read as `JSONValueDecoder` reads them for a `Decodable`'s stored properties: a missing or
/// `null` optional is nil, an integer is an integral number within ±2^53−1 that fits its type, unknown members are
/// ignored. Anything else is ``Unread``.
public struct JSONMembers {
    /// The reader is not sure: `Decodable` reads the value.
    public struct Unread: Error {
        /// Gives up.
        public init() {}
    }

    /// The members.
    public let members: [String: JSONValue]

    /// Wraps an object's members.
    public init(_ members: [String: JSONValue]) { self.members = members }

    /// A string member.
    public func string(_ key: String) throws(Unread) -> String {
        guard case .string(let text)? = members[key] else { throw Unread() }
        return text
    }

    /// An optional string member.
    public func optionalString(_ key: String) throws(Unread) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw Unread()
        }
    }

    /// A string member made a value by `make` (a type's own check of its text, such as a failable `init`); Unread
    /// when it gives nil.
    @inlinable
    public func string<T>(_ key: String, as make: (String) -> T?) throws(Unread) -> T {
        guard let value = make(try string(key)) else { throw Unread() }
        return value
    }

    /// An optional string member made a value by `make`.
    @inlinable
    public func optionalString<T>(_ key: String, as make: (String) -> T?) throws(Unread) -> T? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = make(text) else { throw Unread() }
        return value
    }

    /// A Boolean member.
    public func bool(_ key: String) throws(Unread) -> Bool {
        guard case .bool(let value)? = members[key] else { throw Unread() }
        return value
    }

    /// An integer member: integral and within ±2^53−1 (``JSONValue/int64Value``).
    public func integer(_ key: String) throws(Unread) -> Int64 {
        guard let value = members[key]?.int64Value else { throw Unread() }
        return value
    }

    /// An optional integer member.
    public func optionalInteger(_ key: String) throws(Unread) -> Int64? {
        switch members[key] {
        case nil, .null?: return nil
        default: return try integer(key)
        }
    }

    /// An unsigned integer member: integral, from 0 to 2^53−1 (``JSONValue/uint64Value``).
    public func unsigned(_ key: String) throws(Unread) -> UInt64 {
        guard let value = members[key]?.uint64Value else { throw Unread() }
        return value
    }

    /// An object member whose values are any JSON (`[String: JSONValue]`).
    public func object(_ key: String) throws(Unread) -> [String: JSONValue] {
        guard case .object(let value)? = members[key] else { throw Unread() }
        return value
    }

    /// An optional object member whose values are any JSON.
    public func optionalObject(_ key: String) throws(Unread) -> [String: JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        default: throw Unread()
        }
    }

    /// A member that reads itself.
    public func nested<T: JSONMemberReadable>(_ key: String, as type: T.Type = T.self) throws(Unread) -> T {
        try T(reading: JSONMembers(try object(key)))
    }

    /// An optional member that reads itself.
    public func optionalNested<T: JSONMemberReadable>(_ key: String, as type: T.Type = T.self) throws(Unread) -> T? {
        guard let members = try optionalObject(key) else { return nil }
        return try T(reading: JSONMembers(members))
    }
}
