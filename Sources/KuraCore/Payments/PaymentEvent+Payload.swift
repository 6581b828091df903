import KuraCrypto

/// `payment.settled` is written on every direct payment and every x402 `exact` settlement, inside the writer,
/// and its record is signed there: the record's members are listed once and written as a `JSONValue`, as the
/// payload's canonical bytes and as the bytes Kura signs, rather than through `Encodable` and a
/// canonicalisation of the result each time (Docs/performance.md). `PaymentPayloadTests` holds every form to
/// the `Encodable` one on seeded values, refusals included.
extension PaymentEvent {
    /// The payload and its canonical bytes.
    public var encodedPayload: EncodedPayload {
        var canonical: [UInt8] = []
        writingPayload { () throws(JSONError) in canonical = try settled(CanonicalObjectWriter.self) }
        return EncodedPayload(canonical: canonical) {
            var json = JSONValue.null
            writingPayload { () throws(JSONError) in json = try settled(JSONObjectBuilder.self) }
            return json
        }
    }

    /// `{"payment", "postings"}` as `Settled`'s `Encodable` form has them.
    func settled<Writer: JSONObjectWriting>(_ writer: Writer.Type) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 640 + 160 * postings.count)
        json.member("payment", try payment.write(Writer.self, signed: true))
        json.member("postings", Posting.array(Writer.self, postings))
        return json.finish()
    }
}

extension Payment: CanonicalJSONWritable {
    /// The signed record's canonical JSON: the payments row (`RowJSON.bytes` takes this path). Refuses what the
    /// `Encodable` form refuses (an integer beyond ±2^53−1).
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try write(CanonicalObjectWriter.self, signed: true) }

    /// The record's `Encodable` form, members in canonical order; without `txSignature` when `signed` is false
    /// (the bytes Kura signs).
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type, signed: Bool) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 512)
        try json.unsigned("amount", amount.units)
        json.string("asset", asset.name)
        try json.unsigned("fee", fee.units)
        json.string("id", id.rawValue)
        try json.unsigned("net", net.units)
        json.string("payee", payee.rawValue)
        json.string("payer", payer.rawValue)
        json.string("paymentId", paymentId)
        if let resource { json.string("resource", resource) }
        try json.integer("settledAt", settledAt.milliseconds)
        if signed { json.string("txSignature", txSignature) }
        return json.finish()
    }
}
