import KuraCrypto

/// A facilitator hashes both a request's canonical JSON (the verify cache's key, the settle command) and its
/// payment payload's (a settlement's `payloadHash`); the payload's bytes are part of the request's, so both are
/// made once (Docs/performance.md). `FacilitatorRequestCanonicalTests` holds them to the `Encodable` form.
extension FacilitatorRequest: CanonicalJSONWritable {
    /// The request's canonical JSON and, inside it, its `paymentPayload`'s.
    public func canonicalParts() throws(JSONError) -> (request: [UInt8], payload: [UInt8]) {
        let payload = try paymentPayload.canonicalJSON()
        let requirements = try paymentRequirements.canonicalJSON()
        var json = CanonicalObjectWriter(capacity: payload.count + requirements.count + 80)
        json.member("paymentPayload", payload)
        json.member("paymentRequirements", requirements)
        try json.integer("x402Version", Int64(x402Version))
        return (json.finish(), payload)
    }

    /// The request's canonical JSON.
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try canonicalParts().request }
}
