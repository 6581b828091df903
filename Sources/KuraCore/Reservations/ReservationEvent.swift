import KuraCrypto

/// What happened to a reservation, as recorded in its stream. Every event moves money and carries its postings.
public enum ReservationEvent: Sendable, Equatable, Hashable {
    /// The amount moved from its source (mandate funds or position debt) into `reservation/<id>/held`.
    case reserved(Reservation, postings: [Posting])
    /// The hold went to the counterparty less the fee; `txSignature` is the rail's proof of `record`.
    case settled(record: SettlementRecord, txSignature: String, postings: [Posting])
    /// The hold went back (to the mandate, to the agent if the mandate closed meanwhile, or to the position's debt).
    case voided(reason: Reservation.VoidReason, at: Timestamp, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case reserved = "reservation.reserved"
        case settled = "reservation.settled"
        case voided = "reservation.voided"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .reserved: .reserved
        case .settled: .settled
        case .voided: .voided
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var postings: [Posting] {
        switch self {
        case .reserved(_, let p), .settled(_, _, let p), .voided(_, _, let p): p
        }
    }

    private struct Reserved: Codable { var reservation: Reservation, postings: [Posting] }
    private struct Settled: Codable { var record: SettlementRecord, txSignature: String, postings: [Posting] }
    private struct Voided: Codable { var reason: Reservation.VoidReason, at: Timestamp, postings: [Posting] }

    public var payload: JSONValue {
        switch self {
        case .reserved, .settled: write(JSONObjectBuilder.self)!
        case .voided(let reason, let at, let postings):
            EventPayload.encode(Voided(reason: reason, at: at, postings: postings))
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        func body<Body: Decodable>(_ kind: Body.Type) throws(KuraError) -> Body {
            try EventPayload.decode(kind, from: payload, eventType: type)
        }
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .reserved:
            let b = try body(Reserved.self)
            self = .reserved(b.reservation, postings: b.postings)
        case .settled:
            let b = try body(Settled.self)
            self = .settled(record: b.record, txSignature: b.txSignature, postings: b.postings)
        case .voided:
            let b = try body(Voided.self)
            self = .voided(reason: b.reason, at: b.at, postings: b.postings)
        }
    }
}

extension ReservationEvent: DomainEvent {}
