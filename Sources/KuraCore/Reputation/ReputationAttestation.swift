import KuraCrypto

/// A reputation report signed by Kura, checkable offline with Kura's note verifier key alone.
///
/// Wire shape: `{"type", "reputation": {…report…}, "issuer": "<key name>", "keyId": "<8 hex>",
/// "signature": "<base64 Ed25519>", "checkpoint": "<signed C2SP note of the report's tree size>"}`. The
/// signature is Ed25519 over the RFC 8785 canonical JSON of `{"issuer", "reputation", "type"}`; the `type`
/// keeps a signature over a report from ever passing for a passport or a checkpoint. The checkpoint note
/// (signed by the same key) ties the report's tree size and root to the receipt log.
public struct ReputationAttestation: Sendable, Equatable, Codable {
    /// The `type` member.
    public static let typeName = "kura.reputation.attestation/v1"

    /// Always ``typeName``.
    public var type: String
    /// The signed report.
    public var reputation: ReputationReport
    /// The signing key's name.
    public var issuer: String
    /// The signing key's 4-byte C2SP key ID, lowercase hex.
    public var keyId: String
    /// Ed25519 signature, standard base64.
    public var signature: String
    /// The C2SP signed checkpoint at the report's tree size.
    public var checkpoint: String

    /// Signs `report` with `signer`, attaching the checkpoint note of its tree.
    public static func sign(_ report: ReputationReport, checkpointNote: String, signer: NoteSigner) throws(KuraError)
        -> ReputationAttestation
    {
        let message = try signedBytes(report, issuer: signer.name)
        return ReputationAttestation(
            type: typeName, reputation: report, issuer: signer.name, keyId: Hex.encode(signer.keyID),
            signature: Base64.encode(signer.key.signature(for: message)), checkpoint: checkpointNote)
    }

    /// The exact bytes signed.
    public static func signedBytes(_ report: ReputationReport, issuer: String) throws(KuraError) -> [UInt8] {
        do {
            let body: JSONValue = [
                "type": .string(typeName), "issuer": .string(issuer), "reputation": try JSONValue(encoding: report),
            ]
            return try body.canonicalBytes()
        } catch {
            throw KuraError(.internalError, "cannot encode the attestation: \(error.reason)")
        }
    }

    /// Checks, in order: the type, the key (name and key ID), the signature, then the checkpoint note
    /// (signed by the same key, at the report's size and root). Throws `verification_failed` naming the
    /// first check that fails.
    public func verify(with verifier: NoteVerifier) throws(KuraError) {
        func fail(_ check: String, _ reason: String) -> KuraError {
            KuraError(.verificationFailed, "\(check): \(reason)")
        }
        guard type == Self.typeName else { throw fail("malformed", "type is '\(type)', not \(Self.typeName)") }
        guard issuer == verifier.name, keyId == Hex.encode(verifier.keyID) else {
            throw fail("key_name", "signed by \(issuer)+\(keyId), not \(verifier.name)+\(Hex.encode(verifier.keyID))")
        }
        guard let raw = Base64.decode(signature), raw.count == Ed25519.signatureByteCount else {
            throw fail("malformed", "the signature is not base64 of 64 bytes")
        }
        guard verifier.publicKey.isValidSignature(raw, for: try Self.signedBytes(reputation, issuer: issuer)) else {
            throw fail("signature", "the signature by \(issuer) does not verify")
        }
        let opened: Checkpoint
        do { opened = try Checkpoint.open(note: checkpoint, verifier: verifier) } catch {
            throw fail("checkpoint", "\(error)")
        }
        guard opened.size == reputation.checkpoint.size,
            Base64.encode(opened.rootHash) == reputation.checkpoint.rootHash
        else {
            throw fail(
                "checkpoint",
                "the note is for size \(opened.size) root \(Base64.encode(opened.rootHash)), the report for size \(reputation.checkpoint.size) root \(reputation.checkpoint.rootHash)"
            )
        }
    }
}
