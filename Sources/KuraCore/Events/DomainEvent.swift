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
///
/// A type that writes its canonical bytes hands over the JSON value as a recipe, made only when asked: the
/// writer stores and hashes the bytes, and projects the typed event, so on the write path no one asks (making
/// it anyway was 2–3 % of the writer's samples under escrow opens and facilitator pairs, Docs/performance.md).
public struct EncodedPayload: Sendable {
    private enum Value: Sendable {
        case made(JSONValue)
        case recipe(@Sendable () -> JSONValue)
    }

    private let value: Value
    /// `json.canonicalBytes()`, written without canonicalising `json`; nil if the type does not write them.
    public let canonical: [UInt8]?

    /// Pairs a payload with its canonical bytes, if known.
    public init(json: JSONValue, canonical: [UInt8]?) {
        value = .made(json)
        self.canonical = canonical
    }

    /// Canonical bytes the type wrote, and how to make the same payload as a JSON value if someone asks.
    public init(canonical: [UInt8], json: @escaping @Sendable () -> JSONValue) {
        value = .recipe(json)
        self.canonical = canonical
    }

    /// The payload.
    public var json: JSONValue {
        switch value {
        case .made(let json): json
        case .recipe(let make): make()
        }
    }
}

extension EscrowEvent: DomainEvent {}
extension PartyEvent: DomainEvent {}
extension FundsEvent: DomainEvent {}
