/// Key texts in the C2SP signed-note format (golang.org/x/mod/sumdb/note), used for Kura's own key
/// files and for the verifier key anyone needs to check a checkpoint offline.
///
/// - Verifier key: `<name>+<hex key ID>+<base64(0x01 || 32-byte public key)>`
/// - Signer key (our key file): `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>`
///
/// The key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
public enum NoteKeys {
    /// The signature algorithm byte for Ed25519.
    public static let ed25519Algorithm: UInt8 = 0x01

    /// The 4-byte key ID of a named Ed25519 public key.
    public static func keyID(name: String, publicKey: Ed25519.PublicKey) -> [UInt8] {
        Array(SHA256.hash(Array(name.utf8) + [0x0A, ed25519Algorithm] + publicKey.bytes).prefix(4))
    }

    /// A key name is non-empty, has no whitespace and no `+` (the field separator).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0 != "+" }
            && name.utf8.count <= 200
    }
}

/// A named Ed25519 signing key, stored as a C2SP note signer key.
public struct NoteSigner: Sendable {
    /// The key name (e.g. the log origin `kura.example/log`).
    public let name: String
    /// The signing key.
    public let key: Ed25519.SecretKey

    /// Names a key.
    public init(name: String, key: Ed25519.SecretKey) throws(CryptoError) {
        guard NoteKeys.isValidName(name) else {
            throw CryptoError("key name '\(name)' must be non-empty, without spaces or '+'")
        }
        self.name = name
        self.key = key
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, checking the key ID.
    public init(parsing text: String) throws(CryptoError) {
        // The key's base64 may itself contain '+', so split only at the first four separators.
        let parts = text.trimmingSuffixNewline.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw CryptoError("not a signer key (expected PRIVATE+KEY+<name>+<key id>+<key>)")
        }
        guard let id = Hex.decode(parts[3]), id.count == 4, parts[3] == parts[3].lowercased() else {
            throw CryptoError("signer key: the key ID is not 8 lowercase hex digits")
        }
        guard let raw = Base64.decode(parts[4]), raw.count == 33, raw[0] == NoteKeys.ed25519Algorithm else {
            throw CryptoError("signer key: the key is not base64 of 0x01 and 32 bytes")
        }
        let key = try Ed25519.SecretKey(seed: Array(raw[1...]))
        try self.init(name: parts[2], key: key)
        guard NoteKeys.keyID(name: name, publicKey: key.publicKey) == id else {
            throw CryptoError("signer key: the key ID does not match the name and key")
        }
    }

    /// The 4-byte key ID.
    public var keyID: [UInt8] { NoteKeys.keyID(name: name, publicKey: key.publicKey) }

    /// The signer key text (secret: goes only into a 0600 file).
    public var signerKeyText: String {
        "PRIVATE+KEY+\(name)+\(Hex.encode(keyID))+\(Base64.encode([NoteKeys.ed25519Algorithm] + key.seed))"
    }

    /// The matching verifier key.
    public var verifier: NoteVerifier { NoteVerifier(name: name, publicKey: key.publicKey) }
}

/// A named Ed25519 public key, as a C2SP note verifier key.
public struct NoteVerifier: Sendable, Hashable {
    /// The key name.
    public let name: String
    /// The public key.
    public let publicKey: Ed25519.PublicKey

    /// Names a public key.
    public init(name: String, publicKey: Ed25519.PublicKey) {
        self.name = name
        self.publicKey = publicKey
    }

    /// Parses `<name>+<hex key ID>+<base64(0x01 || public key)>`, checking the key ID.
    public init(parsing text: String) throws(CryptoError) {
        let parts = text.trimmingSuffixNewline.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == 3, NoteKeys.isValidName(parts[0]) else {
            throw CryptoError("not a verifier key (expected <name>+<key id>+<key>)")
        }
        guard let id = Hex.decode(parts[1]), id.count == 4, parts[1] == parts[1].lowercased() else {
            throw CryptoError("verifier key: the key ID is not 8 lowercase hex digits")
        }
        guard let raw = Base64.decode(parts[2]), raw.count == 33, raw[0] == NoteKeys.ed25519Algorithm else {
            throw CryptoError("verifier key: the key is not base64 of 0x01 and a 32-byte Ed25519 key")
        }
        let key = try Ed25519.PublicKey(bytes: Array(raw[1...]))
        self.init(name: parts[0], publicKey: key)
        guard keyID == id else { throw CryptoError("verifier key: the key ID does not match the name and key") }
    }

    /// The 4-byte key ID.
    public var keyID: [UInt8] { NoteKeys.keyID(name: name, publicKey: publicKey) }

    /// The verifier key text.
    public var text: String {
        "\(name)+\(Hex.encode(keyID))+\(Base64.encode([NoteKeys.ed25519Algorithm] + publicKey.bytes))"
    }
}

extension String {
    var trimmingSuffixNewline: String {
        var s = self
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        return s
    }
}
