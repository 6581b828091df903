import KuraCrypto

/// One entry of the global, append-only, hash-chained log.
///
/// `hash = SHA-256(canonical JSON of every field but hash)`; `prevHash` of the first event is 32 zero bytes,
/// so the newest hash commits to the whole history.
public struct Event: Sendable, Equatable {
    /// Global position, gapless from 1.
    public let seq: UInt64
    /// The aggregate's stream, e.g. `escrow/esc_…`.
    public let stream: String
    /// Position within the stream, gapless from 1.
    public let version: UInt64
    /// What happened, e.g. `escrow.locked`.
    public let type: String
    /// The facts, as a JSON object. An event the writer appended from a typed event makes it from that event
    /// when asked (see ``EncodedPayload``).
    public var payload: JSONValue { content.json }
    private let content: EncodedPayload
    /// When it was appended (from the injected clock).
    public let at: Timestamp
    /// The authenticated party, or `system` for time-driven transitions.
    public let actor: String
    /// Identifies the command that produced it (several events may share one).
    public let commandId: String
    /// The previous event's hash.
    public let prevHash: [UInt8]
    /// This event's hash.
    public let hash: [UInt8]

    /// The all-zero hash that precedes the first event.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// Seals an event: computes its hash from every other field.
    public init(
        seq: UInt64, stream: String, version: UInt64, type: String, payload: JSONValue, at: Timestamp,
        actor: String, commandId: String, prevHash: [UInt8]
    ) throws(KuraError) {
        let payloadBytes: [UInt8]
        do { payloadBytes = try payload.canonicalBytes() } catch {
            throw KuraError(.invalidRequest, "event payload is not canonical JSON: \(error.reason)")
        }
        self.init(
            seq: seq, stream: stream, version: version, type: type, payload: payload, canonicalPayload: payloadBytes,
            at: at, actor: actor, commandId: commandId, prevHash: prevHash)
    }

    /// Seals an event whose payload's canonical bytes the caller already has (the store keeps them).
    public init(
        seq: UInt64, stream: String, version: UInt64, type: String, payload: JSONValue,
        canonicalPayload payloadBytes: [UInt8],
        at: Timestamp, actor: String, commandId: String, prevHash: [UInt8]
    ) {
        self.init(
            seq: seq, stream: stream, version: version, type: type,
            content: EncodedPayload(json: payload, canonical: nil), canonicalPayload: payloadBytes, at: at,
            actor: actor, commandId: commandId, prevHash: prevHash)
    }

    /// Seals an event whose payload is `content`, whose canonical bytes are `payloadBytes`.
    public init(
        seq: UInt64, stream: String, version: UInt64, type: String, content: EncodedPayload,
        canonicalPayload payloadBytes: [UInt8],
        at: Timestamp, actor: String, commandId: String, prevHash: [UInt8]
    ) {
        self.seq = seq
        self.stream = stream
        self.version = version
        self.type = type
        self.content = content
        self.at = at
        self.actor = actor
        self.commandId = commandId
        self.prevHash = prevHash
        self.hash = SHA256.hash(
            Event.canonicalBody(
                seq: seq, stream: stream, version: version, type: type, canonicalPayload: payloadBytes,
                at: at, actor: actor, commandId: commandId, prevHash: prevHash))
    }

    /// Field for field, the payload's value included (made from its recipe when it has one): a store that read
    /// back the right bytes but parsed them wrongly is not equal to what it acknowledged.
    public static func == (lhs: Event, rhs: Event) -> Bool {
        lhs.seq == rhs.seq && lhs.hash == rhs.hash && lhs.prevHash == rhs.prevHash && lhs.stream == rhs.stream
            && lhs.version == rhs.version && lhs.type == rhs.type && lhs.at == rhs.at && lhs.actor == rhs.actor
            && lhs.commandId == rhs.commandId && lhs.payload == rhs.payload
    }

    /// One top-level member of the payload. Read from the payload's canonical bytes when the event carries them
    /// (a catch-up's events, ``EncodedPayload/canonical``) without building the rest of it; from the payload
    /// otherwise.
    public func payloadMember(_ name: String) throws(KuraError) -> JSONValue? {
        guard let bytes = content.canonical else { return payload[name] }
        do { return try JSONValue.member(name, ofObject: bytes) } catch {
            throw KuraError(.chainBroken, "event \(seq): stored payload is not a JSON object (\(error.reason))")
        }
    }

    /// The event's identifier, derived from its hash.
    public var id: EventID { EventID(eventHash: hash) }

    /// The RFC 8785 bytes of the event without `hash`, built from an already canonical payload.
    /// Keys appear in JCS order: actor, at, commandId, payload, prevHash, seq, stream, type, version.
    public static func canonicalBody(
        seq: UInt64, stream: String, version: UInt64, type: String, canonicalPayload: [UInt8], at: Timestamp,
        actor: String, commandId: String, prevHash: [UInt8]
    ) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(canonicalPayload.count + 256)
        // Laid out by hand (this runs once per event on append and on every `log verify`); the test
        // suite checks it against the generic RFC 8785 encoder.
        func string(_ s: String) { JSONValue.appendCanonicalString(s, to: &out) }
        func raw(_ s: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
        func integer(_ value: Int64) {
            if value < 0 { out.append(0x2D) }
            var magnitude = value.magnitude
            var digits:
                (
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
                ) =
                    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                    magnitude /= 10
                    count += 1
                } while magnitude > 0
                for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
            }
        }
        raw("{\"actor\":")
        string(actor)
        raw(",\"at\":")
        integer(at.milliseconds)
        raw(",\"commandId\":")
        string(commandId)
        raw(",\"payload\":")
        out += canonicalPayload
        raw(",\"prevHash\":\"")
        Hex.append(prevHash, to: &out)
        raw("\",\"seq\":")
        integer(Int64(seq))
        raw(",\"stream\":")
        string(stream)
        raw(",\"type\":")
        string(type)
        raw(",\"version\":")
        integer(Int64(version))
        out.append(0x7D)
        return out
    }

    /// The event as a JSON object, `hash` included, hashes in lowercase hex.
    public var json: JSONValue {
        .object([
            "seq": .number(Double(seq)), "stream": .string(stream), "version": .number(Double(version)),
            "type": .string(type), "payload": payload, "at": .number(Double(at.milliseconds)),
            "actor": .string(actor), "commandId": .string(commandId), "prevHash": .string(Hex.encode(prevHash)),
            "hash": .string(Hex.encode(hash)),
        ])
    }
}
