import KuraCrypto

// The messages inside a facilitator request write their own canonical JSON: Kura makes a request's bytes and its
// payload's on every verify and settle, and a provider's client sends them; through `Encodable` they took most of
// `canonicalParts()` (Docs/performance.md). `PaymentCanonicalTests` holds each to its `Encodable` form on seeded
// values, with one member per stored property.

extension ResourceInfo: CanonicalJSONWritable {
    /// The resource's canonical JSON.
    public func canonicalJSON() -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: url.utf8.count + (description?.utf8.count ?? 0) + 64)
        if let description { json.string("description", description) }
        if let mimeType { json.string("mimeType", mimeType) }
        json.string("url", url)
        return json.finish()
    }
}

extension PaymentRequirements: CanonicalJSONWritable {
    /// The requirements' canonical JSON: an error for a number canonical JSON cannot hold (in `extra`, or a timeout
    /// beyond 2^53−1), as through `Encodable`.
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 256)
        json.string("amount", amount.description)
        json.string("asset", asset)
        if let extra { try json.value("extra", .object(extra)) }
        try json.unsigned("maxTimeoutSeconds", maxTimeoutSeconds)
        json.string("network", network)
        json.string("payTo", payTo)
        json.string("scheme", scheme)
        return json.finish()
    }
}

extension PaymentPayload: CanonicalJSONWritable {
    /// The payload's canonical JSON: an error for a number canonical JSON cannot hold, as through `Encodable`.
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        let accepted = try accepted.canonicalJSON()
        var json = CanonicalObjectWriter(capacity: accepted.count + 768)
        json.member("accepted", accepted)
        if let extensions { try json.value("extensions", .object(extensions)) }
        try json.value("payload", .object(payload))
        if let resource { json.member("resource", resource.canonicalJSON()) }
        try json.integer("x402Version", Int64(x402Version))
        return json.finish()
    }
}

extension KuraAuthorization: CanonicalJSONWritable {
    /// The authorization's canonical JSON: what ``signedBytes()`` gives.
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 384)
        json.string("amount", amount.description)
        json.string("asset", asset)
        if let extra { json.member("extra", try extra.canonicalJSON()) }
        json.string("network", network)
        json.string("nonce", nonce)
        json.string("payTo", payTo)
        json.string("payer", payer)
        json.string("resource", resource)
        json.string("validAfter", validAfter.description)
        json.string("validBefore", validBefore.description)
        return json.finish()
    }
}

extension EscrowTermsExtra {
    /// The terms' canonical JSON: an error for a window beyond 2^53−1, as through `Encodable`.
    func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 128)
        try json.unsigned("confirmWindowSeconds", confirmWindowSeconds)
        try json.unsigned("deliverWithinSeconds", deliverWithinSeconds)
        try json.unsigned("disputeWindowSeconds", disputeWindowSeconds)
        json.string("paymentFlow", paymentFlow)
        return json.finish()
    }
}
