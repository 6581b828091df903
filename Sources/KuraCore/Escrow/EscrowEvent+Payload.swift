import KuraCrypto

/// `escrow.locked` is written once per escrow opened, inside the writer: its payload's members are listed once
/// and written both as a `JSONValue` and as canonical bytes, rather than through `Encodable` and a
/// canonicalisation of the result (9 % of the writer thread's samples on `POST /v1/escrows`,
/// Docs/performance.md). `EscrowPayloadTests` holds both to the `Encodable` form on seeded values.
extension EscrowEvent {
    /// The payload and its canonical bytes; the other kinds go through `Encodable`.
    public var encodedPayload: EncodedPayload {
        guard case .locked(let id, let terms, let postings) = self else {
            return EncodedPayload(json: payload, canonical: nil)
        }
        return EncodedPayload(
            canonical: Self.locked(CanonicalObjectWriter.self, id: id, terms: terms, postings: postings),
            json: { Self.locked(JSONObjectBuilder.self, id: id, terms: terms, postings: postings) })
    }

    /// `{"escrowId", "postings", "terms"}` as `Locked`'s `Encodable` form has them.
    static func locked<Writer: JSONObjectWriting>(
        _ writer: Writer.Type, id: EscrowID, terms: EscrowTerms, postings: [Posting]
    ) -> Writer.Output {
        var json = Writer(capacity: 384 + 160 * postings.count)
        json.string("escrowId", id.rawValue)
        json.member("postings", Posting.array(Writer.self, postings))
        json.member("terms", terms.write(Writer.self))
        return json.finish()
    }
}

/// Writes a payload's members; an integer out of range is a programming error, as in `EventPayload.encode`
/// (`decide` validates every amount, time and window first).
func writingPayload(_ body: () throws(JSONError) -> Void) {
    do { try body() } catch { preconditionFailure("event payload does not encode: \(error.reason)") }
}

extension EscrowTerms {
    /// The terms' `Encodable` form, members in canonical order (absent optionals left out).
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) -> Writer.Output {
        var json = Writer(capacity: 320)
        writingPayload { () throws(JSONError) in
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
    /// The posting's `Encodable` form.
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) -> Writer.Output {
        var json = Writer(capacity: 160)
        writingPayload { () throws(JSONError) in try json.unsigned("amount", amount.units) }
        json.string("asset", asset.name)
        json.string("from", from.rawValue)
        json.string("to", to.rawValue)
        return json.finish()
    }

    /// A JSON array of postings.
    static func array<Writer: JSONObjectWriting>(_ writer: Writer.Type, _ postings: [Posting]) -> Writer.Output {
        Writer.array(postings.map { $0.write(Writer.self) })
    }
}
