import KuraCore
import KuraCrypto
import KuraStore
import Logging

/// The headers of a request signed with the party's own Ed25519 key.
public struct SignedRequest: Sendable {
    public var party: String
    public var timestamp: String
    public var nonce: String
    public var signature: String
    public var method: String
    /// The path with its query string, exactly as sent.
    public var pathWithQuery: String
    public var body: [UInt8]

    public init(
        party: String, timestamp: String, nonce: String, signature: String, method: String, pathWithQuery: String,
        body: [UInt8]
    ) {
        self.party = party
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = signature
        self.method = method
        self.pathWithQuery = pathWithQuery
        self.body = body
    }

    /// The signed text of `kura-request-v2`: `kura-request-v2\n<instance>\n<party>\n<METHOD>\n<path with
    /// query>\n<timestamp>\n<nonce>\n<hex SHA-256 of body>`. `instance` is the server's
    /// ``KuraService/instance`` (its log key's name and key ID) and `party` the `Kura-Party` value, so a
    /// signature is good for one party on one instance.
    public static func signingText(
        instance: String, party: String, method: String, pathWithQuery: String, timestamp: String, nonce: String,
        body: [UInt8]
    ) -> String {
        "kura-request-v2\n\(instance)\n\(party)\n\(method.uppercased())\n\(pathWithQuery)\n\(timestamp)\n\(nonce)\n"
            + Hex.encode(SHA256.hash(body))
    }

    /// The signed text of the deprecated `kura-request-v1`: `kura-request-v1\n<METHOD>\n<path with
    /// query>\n<timestamp>\n<nonce>\n<hex SHA-256 of body>`. It names neither the party nor the instance;
    /// accepted until ``ServiceConfiguration/requestSignatureV1Until``.
    public static func signingText(
        method: String, pathWithQuery: String, timestamp: String, nonce: String, body: [UInt8]
    )
        -> String
    {
        "kura-request-v1\n\(method.uppercased())\n\(pathWithQuery)\n\(timestamp)\n\(nonce)\n\(Hex.encode(SHA256.hash(body)))"
    }

    /// The v2 headers of a request signed by `party` with `key` for the instance named `instance`.
    public static func headers(
        instance: String, party: PartyID, key: Ed25519.SecretKey, method: String, pathWithQuery: String,
        timestamp: Int64, nonce: String, body: [UInt8]
    ) -> [(name: String, value: String)] {
        let text = signingText(
            instance: instance, party: party.rawValue, method: method, pathWithQuery: pathWithQuery,
            timestamp: String(timestamp), nonce: nonce, body: body)
        return [
            ("Kura-Party", party.rawValue), ("Kura-Timestamp", String(timestamp)), ("Kura-Nonce", nonce),
            ("Kura-Signature", Base64.encode(key.signature(for: Array(text.utf8)))),
        ]
    }
}

extension KuraService {
    /// Authenticates `Authorization: Bearer <apiKey>`.
    public func authenticate(apiKey: String) async throws(KuraError) -> Principal {
        guard apiKey.utf8.count <= 200 else { throw KuraError(.unauthenticated, "unknown API key") }
        let hash = Self.hashAPIKey(apiKey)
        if let party = apiKeys.party(forKeyHash: hash) { return try active(party, apiKeyHash: hash) }
        let generation = apiKeys.currentGeneration()
        guard let party = try await read(.auth, { reads throws(KuraError) in try reads.party(apiKeyHash: hash)?.party })
        else { throw KuraError(.unauthenticated, "unknown API key") }
        apiKeys.remember(hash, party: party, since: generation)
        return try active(party, apiKeyHash: hash)
    }

    /// Authenticates a request signature: a known party, a timestamp within the allowed skew, a valid
    /// Ed25519 signature, and a nonce never seen before (recorded durably before the request runs).
    public func authenticate(_ request: SignedRequest) async throws(KuraError) -> Principal {
        guard let id = PartyID(request.party) else { throw KuraError(.unauthenticated, "Kura-Party is not a party ID") }
        guard let millis = Int64(request.timestamp) else {
            throw KuraError(.unauthenticated, "Kura-Timestamp must be epoch milliseconds")
        }
        let now = clock.now()
        // Overflow-checked: a crafted timestamp such as Int64.min must be refused, not trap.
        let (skew, overflow) = now.milliseconds.subtractingReportingOverflow(millis)
        guard !overflow, skew.magnitude <= configuration.maxRequestSkewMs.magnitude else {
            throw KuraError(
                .unauthenticated, "Kura-Timestamp is more than \(configuration.maxRequestSkewMs / 1000) s from now")
        }
        guard (8...128).contains(request.nonce.utf8.count), request.nonce.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
        else {
            throw KuraError(.unauthenticated, "Kura-Nonce must be 8-128 printable ASCII characters")
        }
        guard let party = try await read(.auth, { reads throws(KuraError) in try reads.party(id)?.party }) else {
            throw KuraError(.unauthenticated, "unknown party \(id)")
        }
        guard let signature = Base64.decode(request.signature),
            try await verifies(signature, request, party, now: now)
        else { throw KuraError(.unauthenticated, "Kura-Signature does not verify with \(id)'s key") }
        let horizon = now.milliseconds - 2 * configuration.maxRequestSkewMs
        let nonce = NonceRow(party: id, nonce: request.nonce, at: millis)
        _ = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Bool in
            try tx.state.recordNonce(nonce, forgettingBefore: horizon, tx)
            return true
        }
        return try active(party, signingKey: party.publicKey)
    }

    /// Whether `signature` is the party's over the request's v2 text or, until the deprecation date and only
    /// for a key no other party holds, its v1 text (which names no party: with a shared key, a v1 request of
    /// one party would pass for the other's).
    private func verifies(_ signature: [UInt8], _ request: SignedRequest, _ party: Party, now: Timestamp)
        async throws(KuraError) -> Bool
    {
        let v2 = SignedRequest.signingText(
            instance: instance, party: request.party, method: request.method, pathWithQuery: request.pathWithQuery,
            timestamp: request.timestamp, nonce: request.nonce, body: request.body)
        if party.publicKey.isValidSignature(signature, for: Array(v2.utf8)) { return true }
        guard let sunset = configuration.requestSignatureV1Until, now < sunset else { return false }
        let v1 = SignedRequest.signingText(
            method: request.method, pathWithQuery: request.pathWithQuery, timestamp: request.timestamp,
            nonce: request.nonce, body: request.body)
        guard party.publicKey.isValidSignature(signature, for: Array(v1.utf8)) else { return false }
        let key = party.publicKey
        let holders = try await read(.auth) { reads throws(KuraError) in
            try reads.parties(holding: key).map(\.party.id)
        }
        guard holders == [party.id] else { return false }
        logger.notice(
            "a request signed with the deprecated kura-request-v1 text", metadata: ["party": "\(party.id)"])
        return true
    }

    private func active(_ party: Party, apiKeyHash: String? = nil, signingKey: Ed25519.PublicKey? = nil)
        throws(KuraError) -> Principal
    {
        guard party.status == .active else { throw KuraError(.forbidden, "\(party.id) is \(party.status.rawValue)") }
        return Principal(party: party, apiKeyHash: apiKeyHash, signingKey: signingKey)
    }
}
