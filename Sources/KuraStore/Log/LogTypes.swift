import KuraCore
import KuraCrypto

/// An event a command wants appended; the store assigns `seq`, `version`, hashes and time.
public struct NewEvent: Sendable, Equatable {
    /// The aggregate's stream, e.g. `escrow/esc_…`.
    public var stream: String
    /// The event type, e.g. `escrow.locked`.
    public var type: String
    /// The facts, a JSON object.
    public var payload: JSONValue {
        get { content.json }
        // A payload set by hand replaces the typed event and its bytes: the log stores and projects what was set.
        set {
            content = EncodedPayload(json: newValue, canonical: nil)
            decoded = nil
        }
    }
    /// The payload, and its canonical bytes when the caller wrote them directly (``DomainEvent/encodedPayload``).
    public private(set) var content: EncodedPayload
    /// Optimistic concurrency: the stream's current version must equal this (0: the stream is new);
    /// nil accepts any version.
    public var expectedVersion: UInt64?
    /// The typed event the payload was made from, if the caller has it: handed to projectors so they
    /// need not parse back what the command just built. Not stored; replay passes nil.
    public var decoded: (any DomainEvent)?
    /// `payload.canonicalBytes()`, when the caller wrote them directly (``DomainEvent/encodedPayload``); the
    /// writer canonicalises `payload` otherwise, and in debug builds checks that both agree.
    public var canonicalPayload: [UInt8]? { content.canonical }

    /// Creates a new event.
    public init(
        stream: String, type: String, payload: JSONValue, expectedVersion: UInt64? = nil,
        decoded: (any DomainEvent)? = nil, canonicalPayload: [UInt8]? = nil
    ) {
        self.init(
            stream: stream, type: type, content: EncodedPayload(json: payload, canonical: canonicalPayload),
            expectedVersion: expectedVersion, decoded: decoded)
    }

    /// A domain event's payload, with its canonical bytes when the event writes them.
    public init(stream: String, event: some DomainEvent, expectedVersion: UInt64? = nil) {
        self.init(
            stream: stream, type: event.type, content: event.encodedPayload, expectedVersion: expectedVersion,
            decoded: event)
    }

    private init(
        stream: String, type: String, content: EncodedPayload, expectedVersion: UInt64?, decoded: (any DomainEvent)?
    ) {
        self.stream = stream
        self.type = type
        self.content = content
        self.expectedVersion = expectedVersion
        self.decoded = decoded
    }

    public static func == (lhs: NewEvent, rhs: NewEvent) -> Bool {
        lhs.stream == rhs.stream && lhs.type == rhs.type && lhs.payload == rhs.payload
            && lhs.expectedVersion == rhs.expectedVersion
    }
}

/// The newest position of the log and its hash, which commits to everything before it.
public struct LogHead: Sendable, Equatable {
    /// The last sequence number (0 for an empty log).
    public var seq: UInt64
    /// The last event's hash (32 zero bytes for an empty log).
    public var hash: [UInt8]

    /// The head of an empty log.
    public static let empty = LogHead(seq: 0, hash: Event.genesisHash)

    /// Creates a head.
    public init(seq: UInt64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }
}

/// A request's idempotency key with a digest of the request it came with.
public struct IdempotencyKey: Sendable, Equatable {
    /// The caller's key, already scoped by the caller (e.g. per party).
    public var key: String
    /// SHA-256 of the request; a different request under the same key is a conflict.
    public var requestHash: [UInt8]

    /// Creates a key.
    public init(key: String, requestHash: [UInt8]) {
        self.key = key
        self.requestHash = requestHash
    }
}

/// What an append did.
public struct AppendOutcome: Sendable, Equatable {
    /// The events written (empty for a replayed request).
    public var events: [Event]
    /// The response stored with the idempotency key (the first answer, for a replay).
    public var response: [UInt8]
    /// True when the same key and request had already been answered: nothing new was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(events: [Event], response: [UInt8], replayed: Bool) {
        self.events = events
        self.response = response
        self.replayed = replayed
    }
}

/// The result of re-walking the chain.
public struct ChainReport: Sendable, Equatable {
    /// Events checked.
    public var count: UInt64
    /// The head after the last good event.
    public var head: LogHead
    /// The first bad event and why, or nil when the chain is whole.
    public var failure: (seq: UInt64, reason: String)?

    /// True when every link held.
    public var isValid: Bool { failure == nil }

    public static func == (lhs: ChainReport, rhs: ChainReport) -> Bool {
        lhs.count == rhs.count && lhs.head == rhs.head && lhs.failure?.seq == rhs.failure?.seq
            && lhs.failure?.reason == rhs.failure?.reason
    }
}
