import KuraCrypto

/// Fixed Ed25519 keys for tests: the same name always gives the same key, on every machine.
public enum TestKeys {
    /// The 32-byte seed of the key named `name`: SHA-256 of `"kura-test-key/" + name`.
    public static func seed(_ name: String) -> [UInt8] {
        SHA256.hash(Array("kura-test-key/\(name)".utf8))
    }

    /// The secret key named `name`.
    public static func secretKey(_ name: String) -> Ed25519.SecretKey {
        // A SHA-256 digest is always 32 bytes, the one length the initializer accepts.
        try! Ed25519.SecretKey(seed: seed(name))
    }

    /// The public key named `name`.
    public static func publicKey(_ name: String) -> Ed25519.PublicKey {
        secretKey(name).publicKey
    }

    /// Kura's own signing key in tests (passports), named `test.kura/log`.
    public static let serviceSigner: NoteSigner = try! NoteSigner(name: "test.kura/log", key: secretKey("service"))
}
