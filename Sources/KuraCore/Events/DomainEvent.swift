import KuraCrypto

/// A typed event of one aggregate, as `decide` returns it: its log type string and JSON payload.
public protocol DomainEvent: Sendable {
    /// The stable type string in the log, e.g. `escrow.locked`.
    var type: String { get }
    /// The facts, as a JSON object.
    var payload: JSONValue { get }
    /// The payload and, for the events a type writes directly, its RFC 8785 bytes (what the log hashes and
    /// stores); the writer canonicalises ``payload`` when they are absent.
    var encodedPayload: EncodedPayload { get }
}

extension DomainEvent {
    /// The payload alone: the writer canonicalises it.
    public var encodedPayload: EncodedPayload { EncodedPayload(json: payload, canonical: nil) }
}

/// An event's payload as a JSON value and, when its type writes them itself, the value's canonical bytes.
public struct EncodedPayload: Sendable {
    /// The payload.
    public let json: JSONValue
    /// `json.canonicalBytes()`, written without canonicalising `json`; nil if the type does not write them.
    public let canonical: [UInt8]?

    /// Pairs a payload with its canonical bytes, if known.
    public init(json: JSONValue, canonical: [UInt8]?) {
        self.json = json
        self.canonical = canonical
    }
}

extension EscrowEvent: DomainEvent {}
extension PartyEvent: DomainEvent {}
extension FundsEvent: DomainEvent {}
