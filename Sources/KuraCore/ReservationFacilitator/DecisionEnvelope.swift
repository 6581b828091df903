import KuraCrypto

/// The JOSE `alg` name Kura writes for its Ed25519 signatures (envelope headers, JWK set entries).
///
/// `EdDSA` (RFC 8037) names the whole EdDSA family and leaves the curve to the key; RFC 9864 deprecates it
/// for the fully specified `Ed25519`. Both name exactly the same signatures here, so Kura accepts either on
/// input and writes the one the operator chooses (`kura serve --jose-alg`), `EdDSA` by default while JOSE
/// libraries catch up.
public enum JOSEAlgorithm: String, Sendable, CaseIterable, Codable {
    /// `EdDSA` (RFC 8037), the polymorphic name.
    case edDSA = "EdDSA"
    /// `Ed25519` (RFC 9864), the fully specified name.
    case ed25519 = "Ed25519"
}

/// The decision envelope: a JWS compact serialisation (RFC 7515) signed with Ed25519 (RFC 8037, RFC 9864).
///
/// `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`, where the header is the canonical JSON
/// `{"alg":"EdDSA","kid":"<kid>","typ":"JWT"}` (or `"alg":"Ed25519"`, see ``JOSEAlgorithm``) and the payload
/// the canonical JSON of a ``ReservationDecision``. Any JOSE library checks it with the key of that `kid` from
/// `GET /.well-known/jwks.json`.
public enum DecisionEnvelope {
    /// The longest envelope accepted; a real one is about 700 characters.
    public static let maxLength = 4096

    /// The `kid` of a named Kura key: `<key name>+<hex of its 4-byte note key ID>`, the first two fields of its
    /// C2SP verifier key, so it names the key and changes when the key changes.
    public static func keyID(name: String, publicKey: Ed25519.PublicKey) -> String {
        name + "+" + Hex.encode(NoteKeys.keyID(name: name, publicKey: publicKey))
    }

    /// Signs `decision` with `key`, naming it `kid` and the algorithm `algorithm`. Deterministic: Ed25519
    /// signatures are.
    public static func sign(
        _ decision: ReservationDecision, kid: String, key: Ed25519.SecretKey, algorithm: JOSEAlgorithm = .edDSA
    ) -> String {
        let header: JSONValue = ["alg": .string(algorithm.rawValue), "kid": .string(kid), "typ": "JWT"]
        // Strings and integers below 2^53 only: both always canonicalise.
        let headerBytes = (try? header.canonicalBytes()) ?? []
        let payloadBytes = (try? JSONValue.canonicalBytes(encoding: decision)) ?? []
        let signingInput = Base64.urlEncode(headerBytes) + "." + Base64.urlEncode(payloadBytes)
        return signingInput + "." + Base64.urlEncode(key.signature(for: Array(signingInput.utf8)))
    }

    /// Checks an envelope and returns its decision. Refusals: `envelope_invalid` (not three base64url parts,
    /// a header that is not `alg` `EdDSA` or `Ed25519` with a `kid`, or with `crit`, a bad signature, a payload
    /// that is not a decision), `unknown_key` (the `kid` is not in `keys`).
    public static func open(_ envelope: String, keys: [String: Ed25519.PublicKey]) throws(KuraError)
        -> ReservationDecision
    {
        func invalid(_ why: String) -> KuraError { KuraError(.envelopeInvalid, "envelope: \(why)") }
        guard envelope.utf8.count <= maxLength else { throw invalid("longer than \(maxLength) characters") }
        let parts = envelope.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw invalid("not a JWS compact serialisation (three parts)") }
        guard let headerBytes = Base64.urlDecode(parts[0]), let header = try? JSONValue.parse(headerBytes),
            case .object(let members) = header
        else { throw invalid("the header is not base64url JSON") }
        guard case .string(let alg)? = members["alg"], JOSEAlgorithm(rawValue: alg) != nil else {
            throw invalid("alg must be EdDSA or Ed25519")
        }
        guard members["crit"] == nil else { throw invalid("no critical header extensions are understood") }
        guard case .string(let kid)? = members["kid"] else { throw invalid("the header names no kid") }
        guard let key = keys[kid] else {
            throw KuraError(.unknownKey, "envelope: kid '\(kid.prefix(120))' is not one of Kura's keys")
        }
        guard let signature = Base64.urlDecode(parts[2]), signature.count == Ed25519.signatureByteCount,
            key.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8))
        else { throw invalid("the signature does not verify with key \(kid)") }
        guard let payloadBytes = Base64.urlDecode(parts[1]), let payload = try? JSONValue.parse(payloadBytes),
            let decision = try? payload.decode(ReservationDecision.self), decision.v == ReservationDecision.version
        else { throw invalid("the payload is not a version \(ReservationDecision.version) decision") }
        return decision
    }
}
