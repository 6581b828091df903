import KuraCrypto

/// `escrow.locked` is written once per escrow opened, inside the writer: its payload is built member by member,
/// as a `JSONValue` and as canonical bytes, rather than through `Encodable` and a canonicalisation of the
/// result (9 % of the writer thread's samples on `POST /v1/escrows`, Docs/performance.md).
/// `EscrowPayloadTests` holds both to the `Encodable` form on seeded values.
extension EscrowEvent {
    /// The payload and its canonical bytes; the other kinds go through `Encodable`.
    public var encodedPayload: EncodedPayload {
        guard case .locked(let id, let terms, let postings) = self else {
            return EncodedPayload(json: payload, canonical: nil)
        }
        return EncodedPayload(
            json: Self.lockedJSON(id: id, terms: terms, postings: postings),
            canonical: Self.lockedCanonical(id: id, terms: terms, postings: postings))
    }

    /// `{"escrowId", "postings", "terms"}` as `Locked`'s `Encodable` form gives it.
    static func lockedJSON(id: EscrowID, terms: EscrowTerms, postings: [Posting]) -> JSONValue {
        .object([
            "escrowId": .string(id.rawValue), "postings": .array(postings.map(\.json)), "terms": terms.json,
        ])
    }

    static func lockedCanonical(id: EscrowID, terms: EscrowTerms, postings: [Posting]) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 384 + 160 * postings.count)
        json.string("escrowId", id.rawValue)
        json.canonical("postings", Posting.canonicalArray(postings))
        json.canonical("terms", terms.canonicalJSON)
        return json.finish()
    }
}

/// An integer of a payload as `JSONValueEncoder` writes it. Out of range is a programming error, as in
/// `EventPayload.encode`: `decide` validates every amount, time and window first.
private func exactNumber(_ value: Int64) -> JSONValue {
    precondition(value.magnitude <= Amount.maxUnits, "event payload integer \(value) is beyond ±2^53-1")
    return .number(Double(value))
}

/// The same rule for the canonical writer.
private func writing(_ body: () throws(JSONError) -> Void) {
    do { try body() } catch { preconditionFailure("event payload does not encode: \(error.reason)") }
}

extension EscrowTerms {
    /// The terms' `Encodable` form as a `JSONValue` (absent optionals left out).
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "amount": .number(Double(amount.units)), "asset": .string(asset.name),
            "confirmWindowMs": exactNumber(confirmWindowMs), "deliverBy": exactNumber(deliverBy.milliseconds),
            "disputeWindowMs": exactNumber(disputeWindowMs), "lockedAt": exactNumber(lockedAt.milliseconds),
            "payee": .string(payee.rawValue), "payer": .string(payer.rawValue),
        ]
        if let memo { members["memo"] = .string(memo) }
        if let paymentId { members["paymentId"] = .string(paymentId) }
        if let resource { members["resource"] = .string(resource) }
        return .object(members)
    }

    /// The terms' canonical bytes, members in canonical order.
    var canonicalJSON: [UInt8] {
        var json = CanonicalObjectWriter(capacity: 320)
        writing { () throws(JSONError) in
            try json.unsigned("amount", amount.units)
            json.string("asset", asset.name)
            try json.integer("confirmWindowMs", confirmWindowMs)
            try json.integer("deliverBy", deliverBy.milliseconds)
            try json.integer("disputeWindowMs", disputeWindowMs)
            try json.integer("lockedAt", lockedAt.milliseconds)
            if let memo { json.string("memo", memo) }
            json.string("payee", payee.rawValue)
            json.string("payer", payer.rawValue)
            if let paymentId { json.string("paymentId", paymentId) }
            if let resource { json.string("resource", resource) }
        }
        return json.finish()
    }
}

extension Posting {
    /// The posting's `Encodable` form as a `JSONValue`.
    var json: JSONValue {
        .object([
            "amount": .number(Double(amount.units)), "asset": .string(asset.name), "from": .string(from.rawValue),
            "to": .string(to.rawValue),
        ])
    }

    /// The canonical bytes of a JSON array of postings.
    static func canonicalArray(_ postings: [Posting]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(2 + 160 * postings.count)
        for (index, posting) in postings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var json = CanonicalObjectWriter(capacity: 160)
            writing { () throws(JSONError) in try json.unsigned("amount", posting.amount.units) }
            json.string("asset", posting.asset.name)
            json.string("from", posting.from.rawValue)
            json.string("to", posting.to.rawValue)
            out.append(contentsOf: json.finish())
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
