import KuraCrypto

/// An answer that travels as bytes of its own media type rather than as the canonical JSON of its value with
/// `application/json`: a signed note as text, a JWK set, bytes a cache already holds. The router renders an
/// operation's answer through this when its response type conforms, and ``KuraClient``'s `perform` reads it
/// back the same way; every other answer is canonical JSON.
public protocol OperationRepresentation: Sendable {
    /// The `Content-Type` of the answer.
    static var mediaType: String { get }
    /// The answer's bytes, exactly as sent.
    func representation() throws(KuraError) -> [UInt8]
    /// Reads an answer received; a malformed one is `internal_error` (the client reports an invalid response).
    init(representation bytes: [UInt8]) throws(KuraError)
}

/// An answer that may refuse inside a 200, as the standard x402 facilitator's do (`isValid: false`,
/// `success: false`): the request log names the refusal's reason, since the status does not.
public protocol OperationVerdict: Sendable {
    /// The reason of a refusal; nil for a success.
    var refusalReason: String? { get }
}

/// UTF-8 text, `text/plain; charset=utf-8`: a checkpoint's signed note, the log's verifier key.
public struct PlainText: Codable, Sendable, Equatable, OperationRepresentation {
    public static let mediaType = "text/plain; charset=utf-8"
    /// The text, exactly as sent (a signed note or the verifier key ends with a newline).
    public var text: String

    public init(_ text: String) { self.text = text }

    public func representation() -> [UInt8] { Array(text.utf8) }

    public init(representation bytes: [UInt8]) throws(KuraError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KuraError(.internalError, "the text answer is not UTF-8")
        }
        self.text = text
    }

    /// A single string in JSON, for the rare caller that encodes the value itself.
    public init(from decoder: any Decoder) throws { text = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A JSON Web Key Set (RFC 7517), `application/jwk-set+json`. Kept as JSON on purpose: a key's members depend on
/// its type (`OKP` today; RFC 7517 lets a set carry members and key types a reader does not know), and a client
/// hands the set to its JOSE library as it came.
public struct JSONWebKeySet: Codable, Sendable, Equatable, OperationRepresentation {
    public static let mediaType = "application/jwk-set+json"
    /// The set: `{"keys": [...]}`.
    public var json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public func representation() throws(KuraError) -> [UInt8] {
        do { return try json.canonicalBytes() } catch {
            throw KuraError(.internalError, "cannot encode the key set: \(error.reason)")
        }
    }

    public init(representation bytes: [UInt8]) throws(KuraError) {
        do { json = try JSONValue.parse(bytes) } catch {
            throw KuraError(.internalError, "the key set is not JSON: \(error.reason)")
        }
    }

    public init(from decoder: any Decoder) throws { json = try decoder.singleValueContainer().decode(JSONValue.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(json)
    }
}

/// A value's canonical JSON bytes, already made: what the service answers from a cache of encoded answers (a
/// party's reputation at the current tree), so a hit is sent as it is, with no decode or encoding.
/// ``decoded()`` gives the value.
public struct Encoded<Value: Codable & Sendable>: Codable, Sendable, OperationRepresentation {
    public static var mediaType: String { "application/json" }
    /// The canonical JSON of the value.
    public let bytes: [UInt8]

    /// Bytes that are the canonical JSON of a `Value`.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Encodes `value` canonically.
    public init(_ value: Value) throws(KuraError) {
        do { bytes = try JSONValue.canonicalBytes(encoding: value) } catch {
            throw KuraError(.internalError, "cannot encode \(Value.self): \(error.reason)")
        }
    }

    /// The value.
    public func decoded() throws(KuraError) -> Value {
        do { return try JSONValue.parse(bytes).decode(Value.self) } catch {
            throw KuraError(.internalError, "the answer is not a \(Value.self): \(error)")
        }
    }

    public func representation() -> [UInt8] { bytes }

    public init(representation bytes: [UInt8]) throws(KuraError) {
        self.bytes = bytes
        _ = try decoded()
    }

    public init(from decoder: any Decoder) throws {
        let json = try decoder.singleValueContainer().decode(JSONValue.self)
        bytes = try json.canonicalBytes()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(try JSONValue.parse(bytes))
    }
}

/// An answer that carries metadata in headers besides its body, the same on every route that answers it: the
/// reservation facilitator's `Kura-Lane`, `Kura-Reservation-State` and `Kura-Billable-Event` (x402's
/// extension metadata).
public protocol OperationAnswerHeaders: Sendable {
    /// The headers, by name, in order.
    var answerHeaders: [(name: String, value: String)] { get }
}
