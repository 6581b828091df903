import KuraCrypto

/// A settle answer is written on every x402 settlement: as the HTTP answer, as the idempotency record the writer
/// keeps when the call carries a key, and inside the settlement's record (`x402.settled`). Its members are listed
/// once, here; `X402PayloadTests` holds them to the `Encodable` form on seeded values.
extension SettleResponse: CanonicalJSONWritable {
    /// The answer's canonical JSON.
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try write(CanonicalObjectWriter.self) }

    /// The answer's `Encodable` form, members in canonical order (absent optionals left out).
    package func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 384)
        if let amount { json.string("amount", amount.description) }
        if let errorMessage { json.string("errorMessage", errorMessage) }
        if let errorReason { json.string("errorReason", errorReason.rawValue) }
        if let extensions { try json.value("extensions", .object(extensions)) }
        json.string("network", network)
        if let payer { json.string("payer", payer) }
        json.bool("success", success)
        json.string("transaction", transaction)
        return json.finish()
    }
}
