import Foundation

extension JSONValue: Codable {
    /// Decodes whatever JSON the decoder holds; every number becomes `.number`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes as the natural JSON value (an object as a keyed object, not as an enum case).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue {
    /// Converts an `Encodable` value to its JSON value, directly (no text in between).
    ///
    /// Integers are exact: every integer up to 2^53 is an exact double, so amounts and millisecond
    /// timestamps survive unchanged; one beyond ±2^53−1 throws instead of being silently rounded.
    public init(encoding value: some Encodable) throws(JSONError) {
        self = try Self.encoded(value).resolve()
    }

    /// The RFC 8785 canonical bytes of an `Encodable`: exactly `JSONValue(encoding: value).canonicalBytes()`, the
    /// same bytes and the same refusals (with the same messages, except from a ``CanonicalJSONWritable`` value),
    /// written without building the intermediate value (by the value itself when it is ``CanonicalJSONWritable``).
    public static func canonicalBytes(encoding value: some Encodable) throws(JSONError) -> [UInt8] {
        if let writable = value as? any CanonicalJSONWritable { return try writable.canonicalJSON() }
        return try encoded(value).canonicalBytes()
    }

    private static func encoded(_ value: some Encodable) throws(JSONError) -> JSONValueEncoder.Slot {
        do { return try JSONValueEncoder.encode(value) } catch {
            throw JSONError(reason: "cannot encode \(type(of: value)): \(oneLine(error))")
        }
    }

    /// Decodes a `Decodable` value from this JSON value, directly (by the type itself when it is
    /// ``JSONMemberReadable`` and sure of the members).
    public func decode<T: Decodable>(_ type: T.Type) throws(JSONError) -> T {
        if case .object(let members) = self, let readable = T.self as? any JSONMemberReadable.Type,
            let value = Self.read(readable, members, as: T.self)
        {
            return value
        }
        do { return try JSONValueDecoder.decode(T.self, from: self) } catch {
            throw JSONError(reason: "cannot decode \(T.self): \(oneLine(error))")
        }
    }

    /// The reader of `Reader`, which is `T`, called through generics: an existential of a large message would be
    /// boxed on the heap.
    private static func read<Reader: JSONMemberReadable, T>(
        _ reader: Reader.Type, _ members: [String: JSONValue], as type: T.Type
    ) -> T? {
        guard let value = try? Reader(reading: JSONMembers(members)) else { return nil }
        return value as? T
    }
}

/// Foundation's coding errors are verbose and may span lines; `JSONError.reason` is one line.
private func oneLine(_ error: any Error) -> String {
    let text: String
    switch error {
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
        DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        text = path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    case EncodingError.invalidValue(_, let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        text = path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    default:
        text = String(describing: error)
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
