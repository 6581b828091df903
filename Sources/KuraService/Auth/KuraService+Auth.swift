import KuraCore
import KuraCrypto
import KuraStore

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

    /// The signed text: `kura-request-v1\n<METHOD>\n<path with query>\n<timestamp>\n<nonce>\n<hex SHA-256 of body>`.
    public static func signingText(
        method: String, pathWithQuery: String, timestamp: String, nonce: String, body: [UInt8]
    )
        -> String
    {
        "kura-request-v1\n\(method.uppercased())\n\(pathWithQuery)\n\(timestamp)\n\(nonce)\n\(Hex.encode(SHA256.hash(body)))"
    }
}

extension KuraService {
    /// Authenticates `Authorization: Bearer <apiKey>`.
    public func authenticate(apiKey: String) async throws(KuraError) -> Principal {
        guard apiKey.utf8.count <= 200 else { throw KuraError(.unauthenticated, "unknown API key") }
        let hash = Self.hashAPIKey(apiKey)
        guard let party = try await read(.auth, { reads throws(KuraError) in try reads.party(apiKeyHash: hash)?.party })
        else { throw KuraError(.unauthenticated, "unknown API key") }
        return try active(party)
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
        let text = SignedRequest.signingText(
            method: request.method, pathWithQuery: request.pathWithQuery, timestamp: request.timestamp,
            nonce: request.nonce, body: request.body)
        guard let signature = Base64.decode(request.signature),
            party.publicKey.isValidSignature(signature, for: Array(text.utf8))
        else { throw KuraError(.unauthenticated, "Kura-Signature does not verify with \(id)'s key") }
        let horizon = now.milliseconds - 2 * configuration.maxRequestSkewMs
        let nonce = NonceRow(party: id, nonce: request.nonce, at: millis)
        try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Bool in
            try tx.state.recordNonce(nonce, forgettingBefore: horizon, tx)
            return true
        }
        return try active(party)
    }

    private func active(_ party: Party) throws(KuraError) -> Principal {
        guard party.status == .active else { throw KuraError(.forbidden, "\(party.id) is \(party.status.rawValue)") }
        return Principal(party: party)
    }
}
