import KuraCrypto

/// A party record signed by Kura, so another service can check it offline (a Meishi passport).
///
/// Wire shape: `{"party": {…}, "issuedAt": ms, "issuer": "<key name>", "signature": base64}`, where the
/// signature is Ed25519 over the RFC 8785 canonical JSON of `{"issuedAt", "issuer", "party"}`. A Meishi
/// passport also carries the party's current `reputation` report (Docs/reputation.md), and then the
/// signed object holds it too: `{"issuedAt", "issuer", "party", "reputation"}`.
public struct Passport: Sendable, Equatable, Codable {
    /// The signed record.
    public let party: Party
    /// When Kura signed it.
    public let issuedAt: Timestamp
    /// The name of the signing key, so a verifier can pick it among Kura's published keys.
    public let issuer: String
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]
    /// The party's reputation when signed, if the passport carries it.
    public let reputation: ReputationReport?

    /// Wraps the parts of a passport read from elsewhere; call ``verify(with:)`` before trusting it.
    public init(
        party: Party, issuedAt: Timestamp, issuer: String, signature: [UInt8], reputation: ReputationReport? = nil
    ) {
        self.party = party
        self.issuedAt = issuedAt
        self.issuer = issuer
        self.signature = signature
        self.reputation = reputation
    }

    /// Signs `party` as of `issuedAt` with Kura's key named `issuer`.
    public static func issue(
        party: Party, issuedAt: Timestamp, issuer: String, key: Ed25519.SecretKey, reputation: ReputationReport? = nil
    ) -> Passport {
        let message = signedBytes(party: party, issuedAt: issuedAt, issuer: issuer, reputation: reputation)
        return Passport(
            party: party, issuedAt: issuedAt, issuer: issuer, signature: key.signature(for: message),
            reputation: reputation)
    }

    /// Whether the signature is `key`'s over this passport's content.
    public func verify(with key: Ed25519.PublicKey) -> Bool {
        key.isValidSignature(
            signature,
            for: Passport.signedBytes(party: party, issuedAt: issuedAt, issuer: issuer, reputation: reputation))
    }

    /// The exact bytes signed: canonical JSON of `{party, issuedAt, issuer}`, and `reputation` when present.
    public static func signedBytes(
        party: Party, issuedAt: Timestamp, issuer: String, reputation: ReputationReport? = nil
    ) -> [UInt8] {
        var body: JSONValue = [
            "party": party.json, "issuedAt": .number(Double(issuedAt.milliseconds)), "issuer": .string(issuer),
        ]
        if let reputation, case .object(var members) = body {
            members["reputation"] = (try? JSONValue(encoding: reputation)) ?? .null
            body = .object(members)
        }
        // Only a non-finite number fails to canonicalize, and the body holds none.
        return (try? body.canonicalBytes()) ?? []
    }

    private enum CodingKeys: String, CodingKey { case party, issuedAt, issuer, signature, reputation }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(party, forKey: .party)
        try c.encode(issuedAt, forKey: .issuedAt)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(Base64.encode(signature), forKey: .signature)
        try c.encodeIfPresent(reputation, forKey: .reputation)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let signature = Base64.decode(try c.decode(String.self, forKey: .signature)) else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: c, debugDescription: "not base64")
        }
        self.init(
            party: try c.decode(Party.self, forKey: .party), issuedAt: try c.decode(Timestamp.self, forKey: .issuedAt),
            issuer: try c.decode(String.self, forKey: .issuer), signature: signature,
            reputation: try c.decodeIfPresent(ReputationReport.self, forKey: .reputation))
    }
}
