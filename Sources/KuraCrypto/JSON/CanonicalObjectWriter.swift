/// Writes the RFC 8785 canonical bytes of one flat JSON object, member by member, for a type whose keys are
/// fixed: what `JSONValue.canonicalBytes(encoding:)` gives for it, without `Encodable`'s containers, slots and
/// sort. The hot leaves of the log (receipts) use it.
///
/// The caller writes its members in canonical order (keys sorted by UTF-16 code units: for the ASCII keys
/// this takes, byte order), leaving out absent ones; debug builds check the order. Integers follow
/// `JSONValueEncoder`: exact up to ±2^53−1, an error beyond. A test holds each user to the `Encodable` path.
public struct CanonicalObjectWriter: JSONObjectWriting {
    private var out: PointerBytes
    private var previousKey: StaticString?

    /// An empty object; `capacity` is a guess at its length in bytes.
    public init(capacity: Int = 512) {
        out = PointerBytes(capacity: capacity)
        out.append(UInt8(ascii: "{"))
    }

    /// A string member.
    public mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        CanonicalWriter.writeString(value, to: &out)
    }

    /// A Boolean member.
    public mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        out.append(literal: value ? "true" : "false")
    }

    /// A signed integer member: an error beyond ±2^53−1.
    public mutating func integer(_ key: StaticString, _ value: Int64) throws(JSONError) {
        try JSONValueEncoder.checkExact(key, value)
        self.key(key)
        if value < 0 { out.append(UInt8(ascii: "-")) }
        ES6NumberFormat.appendDecimal(value.magnitude, to: &out)
    }

    /// An unsigned integer member: an error beyond 2^53−1.
    public mutating func unsigned(_ key: StaticString, _ value: UInt64) throws(JSONError) {
        try JSONValueEncoder.checkExact(key, value)
        self.key(key)
        ES6NumberFormat.appendDecimal(value, to: &out)
    }

    /// A member whose value is already canonical JSON: an object or array another writer of this kind made. The
    /// caller promises the bytes are canonical; the seeded tests that hold a writer to its `Encodable` form check it.
    public mutating func member(_ key: StaticString, _ bytes: [UInt8]) {
        self.key(key)
        bytes.withUnsafeBytes { out.append(bytes: $0) }
    }

    /// A member that is any JSON value (a message's open `extensions`), written canonically: an error for a
    /// number canonical JSON cannot hold.
    public mutating func value(_ key: StaticString, _ value: JSONValue) throws(JSONError) {
        self.key(key)
        try CanonicalWriter.write(value, to: &out)
    }

    /// The canonical bytes of an array of canonical values.
    public static func array(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(2 + elements.reduce(0) { $0 + $1.count + 1 })
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: element)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The object's bytes.
    public consuming func finish() -> [UInt8] {
        out.claim()
        out.append(UInt8(ascii: "}"))
        return out.array
    }

    /// `"key":`, after a comma unless it is the first member. Keys are ASCII without characters to escape.
    /// Every member starts here, so this is where the writer claims its bytes (``PointerBytes/claim()``).
    private mutating func key(_ key: StaticString) {
        assert(Self.isPlain(key), "\(key) is not a plain ASCII key")
        out.claim()
        if let previousKey {
            assert(
                CanonicalWriter.utf16Precedes(previousKey.description, key.description),
                "\(key) is written after \(previousKey): not canonical order")
            out.append(UInt8(ascii: ","))
        }
        previousKey = key
        out.append(UInt8(ascii: "\""))
        out.append(literal: key)
        out.append(literal: "\":")
    }

    private static func isPlain(_ key: StaticString) -> Bool {
        key.withUTF8Buffer { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        }
    }
}

extension JSONValueEncoder {
    /// Refuses a member's integer beyond ±2^53−1, as the encoder does: the one range rule of both object writers.
    static func checkExact(_ key: StaticString, _ value: Int64) throws(JSONError) {
        guard value.magnitude <= exactLimit else {
            throw JSONError(reason: "\(key): integer \(value) is beyond ±2^53-1")
        }
    }

    /// Refuses a member's unsigned integer beyond 2^53−1.
    static func checkExact(_ key: StaticString, _ value: UInt64) throws(JSONError) {
        guard value <= exactLimit else { throw JSONError(reason: "\(key): integer \(value) is beyond 2^53-1") }
    }
}

/// Writes one JSON object member by member, as canonical bytes (``CanonicalObjectWriter``) or as a `JSONValue`
/// (``JSONObjectBuilder``): a type that writes itself lists its members once, generic over the writer, and gets
/// both forms (an event's payload is needed as both).
public protocol JSONObjectWriting {
    /// What a finished object (or an array of them) is.
    associatedtype Output
    /// An empty object; `capacity` is a guess at its length in bytes.
    init(capacity: Int)
    /// A string member.
    mutating func string(_ key: StaticString, _ value: String)
    /// A Boolean member.
    mutating func bool(_ key: StaticString, _ value: Bool)
    /// A signed integer member: an error beyond ±2^53−1.
    mutating func integer(_ key: StaticString, _ value: Int64) throws(JSONError)
    /// An unsigned integer member: an error beyond 2^53−1.
    mutating func unsigned(_ key: StaticString, _ value: UInt64) throws(JSONError)
    /// A member that is an object or array this kind of writer made.
    mutating func member(_ key: StaticString, _ value: Output)
    /// A member that is any JSON value.
    mutating func value(_ key: StaticString, _ value: JSONValue) throws(JSONError)
    /// The object.
    consuming func finish() -> Output
    /// An array of values this kind of writer made.
    static func array(_ elements: [Output]) -> Output
}

/// Builds a `JSONValue` object member by member: the same value `JSONValue(encoding:)` gives for the
/// `Encodable` form a ``JSONObjectWriting`` user mirrors, without an encoder's containers.
public struct JSONObjectBuilder: JSONObjectWriting {
    private var members: [String: JSONValue]

    /// An empty object; `capacity` is its length in bytes as canonical JSON, of which a member of the payloads
    /// here takes about 24.
    public init(capacity: Int = 16) {
        members = Dictionary(minimumCapacity: min(max(capacity / 24, 1), 16))
    }

    /// A string member.
    public mutating func string(_ key: StaticString, _ value: String) { members[key.description] = .string(value) }

    /// A Boolean member.
    public mutating func bool(_ key: StaticString, _ value: Bool) { members[key.description] = .bool(value) }

    /// A signed integer member: an error beyond ±2^53−1.
    public mutating func integer(_ key: StaticString, _ value: Int64) throws(JSONError) {
        try JSONValueEncoder.checkExact(key, value)
        members[key.description] = .number(Double(value))
    }

    /// An unsigned integer member: an error beyond 2^53−1.
    public mutating func unsigned(_ key: StaticString, _ value: UInt64) throws(JSONError) {
        try JSONValueEncoder.checkExact(key, value)
        members[key.description] = .number(Double(value))
    }

    /// A nested object or array.
    public mutating func member(_ key: StaticString, _ value: JSONValue) { members[key.description] = value }

    /// A member that is any JSON value, as it is.
    public mutating func value(_ key: StaticString, _ value: JSONValue) throws(JSONError) {
        members[key.description] = value
    }

    /// The object.
    public consuming func finish() -> JSONValue { .object(members) }

    /// An array.
    public static func array(_ elements: [JSONValue]) -> JSONValue { .array(elements) }
}

/// An `Encodable` that writes its own RFC 8785 bytes (with a ``CanonicalObjectWriter``), for types on the hot
/// path: `JSONValue.canonicalBytes(encoding:)` uses them when it is handed one at the top level.
///
/// A conformance promises the same bytes and the same refusals as the `Encodable` form
/// (`JSONValue(encoding:).canonicalBytes()`); each is held to it by a seeded test.
public protocol CanonicalJSONWritable: Encodable {
    /// The canonical JSON bytes of `self`.
    func canonicalJSON() throws(JSONError) -> [UInt8]
}
