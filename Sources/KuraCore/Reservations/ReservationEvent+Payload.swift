import KuraCrypto

/// `reservation.reserved` and `reservation.settled` are written on every verify and settle, inside the writer:
/// their members are listed once and written both as a `JSONValue` and as canonical bytes (8 % of the writer
/// thread's samples on facilitator pairs went to their `Encodable` form, Docs/performance.md).
/// `ReservationPayloadTests` holds both to the `Encodable` form on seeded values.
extension ReservationEvent {
    /// The payload and its canonical bytes; `reservation.voided` goes through `Encodable`.
    public var encodedPayload: EncodedPayload {
        guard let canonical = write(CanonicalObjectWriter.self) else {
            return EncodedPayload(json: payload, canonical: nil)
        }
        return EncodedPayload(canonical: canonical) { write(JSONObjectBuilder.self) ?? payload }
    }

    /// `{"postings", "reservation"}` or `{"postings", "record", "txSignature"}`; nil for `voided`.
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) -> Writer.Output? {
        var json = Writer(capacity: 768)
        switch self {
        case .reserved(let reservation, let postings):
            json.member("postings", Posting.array(Writer.self, postings))
            writingPayload { () throws(JSONError) in json.member("reservation", try reservation.write(Writer.self)) }
        case .settled(let record, let txSignature, let postings):
            json.member("postings", Posting.array(Writer.self, postings))
            writingPayload { () throws(JSONError) in json.member("record", try record.write(Writer.self)) }
            json.string("txSignature", txSignature)
        case .voided: return nil
        }
        return json.finish()
    }
}
