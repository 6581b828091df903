import KuraCrypto
import KuraX402

/// `x402.settled` is written on every x402 settlement, inside the writer, and its record is also the settlement's
/// read-model row: the record's members are listed once and written as a `JSONValue` and as canonical bytes,
/// rather than through `Encodable` and a canonicalisation of the result (Docs/performance.md).
/// `X402PayloadTests` holds both forms to the `Encodable` one on seeded values.
extension X402Event {
    /// The payload and its canonical bytes. A record these writers refuse (a number canonical JSON cannot hold)
    /// is handed over as ``payload`` alone, as before they existed, and the log refuses it when it canonicalises.
    public var encodedPayload: EncodedPayload {
        guard let canonical = try? settlement.write(CanonicalObjectWriter.self) else {
            return EncodedPayload(json: payload, canonical: nil)
        }
        // Both writers refuse the same numbers: the one that wrote the bytes also makes the value.
        return EncodedPayload(canonical: canonical) { (try? settlement.write(JSONObjectBuilder.self)) ?? payload }
    }
}

extension X402Settlement: CanonicalJSONWritable {
    /// The record's canonical JSON: the event's payload, and the row the facilitator reads repeats from
    /// (`RowJSON.bytes` takes this path).
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try write(CanonicalObjectWriter.self) }

    /// The record's `Encodable` form, members in canonical order (absent optionals left out).
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 768)
        json.string("authorizationHash", authorizationHash)
        json.string("nonce", nonce)
        json.string("payer", payer.rawValue)
        json.string("payloadHash", payloadHash)
        if let paymentIdentifier { json.string("paymentIdentifier", paymentIdentifier) }
        json.member("response", try response.write(Writer.self))
        json.string("scheme", scheme)
        json.string("subject", subject)
        return json.finish()
    }
}
