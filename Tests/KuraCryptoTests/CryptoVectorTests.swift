import CSodium
import Foundation
import KuraCrypto
import KuraTesting
import Testing

// The public vectors in Fixtures/vectors/ (see Fixtures/vectors/README.md for where each comes from).

/// Loads one vector file. Each fixture type's `shared` falls back to no cases when its file is missing,
/// so the parameterised tests run zero cases and `fixturesAreComplete` reports the real problem.
private func loadVectors<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    try VectorFixtures.load(name, as: T.self)
}

private func bytes(_ hex: String) -> [UInt8] {
    guard let decoded = Hex.decode(hex) else { fatalError("bad hex in a fixture: \(hex.prefix(40))") }
    return decoded
}

// MARK: Fixture shapes

struct Ed25519Vectors: Decodable, Sendable {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let secret_key: String
        let public_key: String
        let message: String
        let message_length: Int
        let signature: String
        var testDescription: String { name }
    }
    struct Negative: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let public_key: String
        let message: String
        let signature: String
        let expected_valid: Bool
        var testDescription: String { name }
    }
    let vectors: [Vector]
    let negative_cases: [Negative]

    static let shared =
        (try? loadVectors("ed25519-rfc8032.json", as: Ed25519Vectors.self))
        ?? Ed25519Vectors(vectors: [], negative_cases: [])
}

struct SHA256Vectors: Decodable, Sendable {
    struct Repeat: Decodable, Sendable {
        let byte_hex: String
        let count: Int
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let message_hex: String?
        let message_repeat: Repeat?
        let message_length_bytes: Int
        let expected: String
        var testDescription: String { name }

        var message: [UInt8] {
            if let message_repeat {
                return [UInt8](repeating: bytes(message_repeat.byte_hex)[0], count: message_repeat.count)
            }
            return bytes(message_hex ?? "")
        }
    }
    let cases: [Case]

    static let shared = (try? loadVectors("sha256.json", as: SHA256Vectors.self)) ?? SHA256Vectors(cases: [])
}

struct Base58Vectors: Decodable, Sendable {
    struct Pair: Decodable, Sendable, CustomTestStringConvertible {
        let hex: String
        let base58: String
        var testDescription: String { base58.isEmpty ? "(empty)" : String(base58.prefix(24)) }
    }
    struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
        let base58: String
        let why: String
        var testDescription: String { "'\(base58)': \(why)" }
    }
    struct Check: Decodable, Sendable, CustomTestStringConvertible {
        let base58: String
        let valid: Bool
        let payload_hex: String?
        var testDescription: String { "\(base58) valid=\(valid)" }
    }
    let cases: [Pair]
    let invalid_decode: [Invalid]
    let base58check: [Check]

    static let shared =
        (try? loadVectors("base58.json", as: Base58Vectors.self))
        ?? Base58Vectors(cases: [], invalid_decode: [], base58check: [])
}

struct SignedNoteVectors: Decodable, Sendable {
    struct Key: Decodable, Sendable, CustomTestStringConvertible {
        let verifier_key: String
        let name: String
        let key_id_hex: String
        let public_key_hex: String
        let key_id_preimage_hex: String
        var testDescription: String { name }
    }
    struct Signer: Decodable, Sendable {
        let signer_key: String
        let name: String
        let key_id_hex: String
        let seed_hex: String
        let public_key_hex: String
        let text: String
        let expected_signature_line: String
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let verifier_keys: [String]
        let note: String?
        let malformed: Bool
        let verified_signers: [String]?
        let invalid_signers: [String]?
        let unverified_signers: [String]?
        let signed_text: String?
        var testDescription: String { name }
    }
    struct Checkpoint: Decodable, Sendable {
        let seed_hex: String
        let verifier_key: String
        let origin: String
        let checkpoint: String
        let signed_text: String
    }
    let keys: [Key]
    let signer: Signer
    let cases: [Case]
    let derived_checkpoint: Checkpoint

    static let shared = try? loadVectors("signed-note.json", as: SignedNoteVectors.self)
    static var wellFormedCases: [Case] { shared?.cases.filter { !$0.malformed } ?? [] }
}

/// The signature line of a C2SP signed note: `— <name> <base64(key ID || signature)>`.
private func signatureLine(name: String, keyID: [UInt8], signature: [UInt8]) -> String {
    "\u{2014} \(name) \(Base64.encode(keyID + signature))"
}

@Suite struct CryptoVectorTests {
    @Test("every vector file loads with the expected number of cases")
    func fixturesAreComplete() throws {
        let ed = try loadVectors("ed25519-rfc8032.json", as: Ed25519Vectors.self)
        #expect(ed.vectors.count == 5)
        #expect(ed.negative_cases.count == 5)
        #expect(try loadVectors("sha256.json", as: SHA256Vectors.self).cases.count == 5)
        let b58 = try loadVectors("base58.json", as: Base58Vectors.self)
        #expect(b58.cases.count == 21)
        #expect(b58.invalid_decode.count == 11)
        #expect(b58.base58check.count == 2)
        let notes = try loadVectors("signed-note.json", as: SignedNoteVectors.self)
        #expect(notes.keys.count == 3)
        #expect(notes.cases.count == 16)
    }

    // MARK: Ed25519 (RFC 8032 section 7.1)

    @Test(
        "RFC 8032: public key from the secret key, byte-exact signature, and it verifies",
        arguments: Ed25519Vectors.shared.vectors)
    func ed25519Vector(_ vector: Ed25519Vectors.Vector) throws {
        let message = bytes(vector.message)
        #expect(message.count == vector.message_length)
        let key = try Ed25519.SecretKey(seed: bytes(vector.secret_key))
        #expect(key.publicKey.bytes == bytes(vector.public_key))
        let signature = key.signature(for: message)
        #expect(Hex.encode(signature) == vector.signature)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        // The wire form of the key round-trips.
        #expect(try Ed25519.PublicKey(base64: key.publicKey.base64) == key.publicKey)
        // Any one flipped message bit breaks it.
        var altered = message + [0]
        altered[0] ^= 0x01
        #expect(!key.publicKey.isValidSignature(signature, for: altered))
    }

    @Test("RFC 8032 derived negative cases are refused", arguments: Ed25519Vectors.shared.negative_cases)
    func ed25519Negative(_ vector: Ed25519Vectors.Negative) throws {
        #expect(vector.expected_valid == false)
        let key = try Ed25519.PublicKey(bytes: bytes(vector.public_key))
        #expect(!key.isValidSignature(bytes(vector.signature), for: bytes(vector.message)))
    }

    @Test("keys and signatures of the wrong length are refused")
    func ed25519Lengths() throws {
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(bytes: [UInt8](repeating: 1, count: 33)) }
        #expect(throws: CryptoError.self) { try Ed25519.SecretKey(seed: [UInt8](repeating: 1, count: 64)) }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: "not base64") }
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 7, count: 32))
        let signature = key.signature(for: [1, 2, 3])
        #expect(key.publicKey.isValidSignature(signature, for: [1, 2, 3]))
        #expect(!key.publicKey.isValidSignature(signature.dropLast(), for: [1, 2, 3]))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: [1, 2, 3]))
        #expect(!key.publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: [1, 2, 3]))
    }

    @Test("generated keys differ and sign verifiably")
    func ed25519Generate() {
        let a = Ed25519.SecretKey.generate()
        let b = Ed25519.SecretKey.generate()
        #expect(a.seed != b.seed)
        #expect(a.publicKey != b.publicKey)
        #expect(a.publicKey.isValidSignature(a.signature(for: Array("x".utf8)), for: Array("x".utf8)))
        #expect(!b.publicKey.isValidSignature(a.signature(for: Array("x".utf8)), for: Array("x".utf8)))
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    // MARK: SHA-256 (FIPS 180-2)

    @Test("NIST SHA-256 examples, one-shot and incremental", arguments: SHA256Vectors.shared.cases)
    func sha256Vector(_ vector: SHA256Vectors.Case) {
        let message = vector.message
        #expect(message.count == vector.message_length_bytes)
        #expect(Hex.encode(SHA256.hash(message)) == vector.expected)
        // Fed in uneven pieces, the incremental hasher gives the same digest.
        var hasher = SHA256Hasher()
        var offset = 0
        var step = 1
        while offset < message.count {
            let end = min(message.count, offset + step)
            hasher.update(message[offset..<end])
            offset = end
            step = step * 3 + 1
        }
        #expect(Hex.encode(hasher.finalize()) == vector.expected)
    }

    /// KuraCrypto hashes with OpenSSL; libsodium's SHA-256, which it used before, is the independent reference.
    @Test("SHA-256 agrees with libsodium's on 3,000 seeded messages around every block boundary, whole and in pieces")
    func sha256AgreesWithLibsodium() {
        var random = SplitMix64(seed: 6234)
        for round in 0..<3_000 {
            // Every length up to 300 bytes (block and padding edges at 55, 56, 63, 64, 119, 120, ...), then longer.
            let length = round < 301 ? round : Int.random(in: 0...5_000, using: &random)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var expected = [UInt8](repeating: 0, count: 32)
            _ = crypto_hash_sha256(&expected, message, UInt64(message.count))
            #expect(SHA256.hash(message) == expected, "length \(length)")
            var hasher = SHA256Hasher()
            var offset = 0
            while offset < message.count {
                let end = min(message.count, offset + Int.random(in: 0...130, using: &random))
                hasher.update(message[offset..<end])
                offset = end
            }
            #expect(hasher.finalize() == expected, "length \(length), in pieces")
        }
        var byByte = SHA256Hasher()
        for byte in Array("abc".utf8) { byByte.update(byte: byte) }
        #expect(Hex.encode(byByte.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("hashing a String hashes its UTF-8 bytes; non-contiguous collections hash the same")
    func sha256Inputs() {
        let text = "abc é 😀"
        #expect(SHA256.hash(text) == SHA256.hash(Array(text.utf8)))
        #expect(SHA256.hash(text.utf8) == SHA256.hash(Array(text.utf8)))
        #expect(SHA256.hash("abc") != SHA256.hash("abd"))
        #expect(SHA256.hash([UInt8]()).count == SHA256.byteCount)
    }

    // MARK: Base58 (Bitcoin alphabet)

    @Test("Bitcoin Core base58 pairs encode and decode both ways", arguments: Base58Vectors.shared.cases)
    func base58Pair(_ pair: Base58Vectors.Pair) {
        #expect(Base58.encode(bytes(pair.hex)) == pair.base58)
        #expect(Base58.decode(pair.base58) == bytes(pair.hex))
    }

    @Test("strings outside the alphabet are refused", arguments: Base58Vectors.shared.invalid_decode)
    func base58Invalid(_ vector: Base58Vectors.Invalid) {
        #expect(Base58.decode(vector.base58) == nil)
    }

    @Test(
        "more refusals: whitespace, non-ASCII, trailing newline",
        arguments: ["1 ", "2g\n", "\t2g", "2g ", "é", "2\u{0}g", "２g", "-"])
    func base58InvalidMore(_ text: String) {
        #expect(Base58.decode(text) == nil)
    }

    @Test(
        "Base58Check: the last 4 bytes are the double SHA-256 checksum of the payload",
        arguments: Base58Vectors.shared.base58check)
    func base58Check(_ vector: Base58Vectors.Check) throws {
        let raw = try #require(Base58.decode(vector.base58))
        let payload = Array(raw.dropLast(4))
        let checksumOK = Array(SHA256.hash(SHA256.hash(payload)).prefix(4)) == Array(raw.suffix(4))
        #expect(checksumOK == vector.valid)
        if let payloadHex = vector.payload_hex { #expect(Hex.encode(payload) == payloadHex) }
    }

    @Test("random byte strings round-trip through base58 (seeded)")
    func base58RoundTrip() {
        var state: UInt64 = 0x5EED
        for length in 0..<70 {
            var input: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                // Plenty of zero bytes, also in leading position.
                input.append(state >> 61 == 0 ? 0 : UInt8(truncatingIfNeeded: state >> 33))
            }
            let text = Base58.encode(input)
            #expect(Base58.decode(text) == input, "length \(length)")
            #expect(text.prefix { $0 == "1" }.count == input.prefix { $0 == 0 }.count)
        }
    }

    // MARK: Base64 and base64url (RFC 4648)

    @Test(
        "RFC 4648 section 10 vectors, standard and URL-safe",
        arguments: [
            ("", "", ""), ("f", "Zg==", "Zg"), ("fo", "Zm8=", "Zm8"), ("foo", "Zm9v", "Zm9v"),
            ("foob", "Zm9vYg==", "Zm9vYg"), ("fooba", "Zm9vYmE=", "Zm9vYmE"), ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
        ])
    func base64RFC4648(_ plain: String, _ standard: String, _ url: String) {
        #expect(Base64.encode(Array(plain.utf8)) == standard)
        #expect(Base64.decode(standard) == Array(plain.utf8))
        #expect(Base64.urlEncode(Array(plain.utf8)) == url)
        #expect(Base64.urlDecode(url) == Array(plain.utf8))
    }

    @Test("the two alphabets differ exactly in 62 and 63")
    func base64Alphabets() {
        let data: [UInt8] = [0xFB, 0xFF, 0xBF, 0xFE]
        #expect(Base64.encode(data) == "+/+//g==")
        #expect(Base64.urlEncode(data) == "-_-__g")
        #expect(Base64.decode("+/+//g==") == data)
        #expect(Base64.urlDecode("-_-__g") == data)
        #expect(Base64.decode("-_-__g==") == nil)
        #expect(Base64.urlDecode("+/+//g") == nil)
    }

    @Test("random byte strings round-trip through both alphabets (seeded)")
    func base64RoundTrip() {
        var state: UInt64 = 42
        for length in 0..<100 {
            var input: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                input.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            #expect(Base64.decode(Base64.encode(input)) == input)
            #expect(Base64.urlDecode(Base64.urlEncode(input)) == input)
            #expect(!Base64.urlEncode(input).contains("="))
        }
    }

    @Test(
        "standard base64 refuses bad padding, whitespace, stray characters and non-canonical bits",
        arguments: [
            "Zg", "Zg=", "Zg===", "Z===", "=Zg=", "Zm9v=", "Zg==Zg==", "Z=g=", "Zm=v",  // padding
            "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\r\n", "Zm\t9v",  // whitespace
            "Zm9-", "Zm9_", "Zm9*", "Zm9é",  // outside the alphabet
            "Zh==", "Zm9=", "AB==", "AAB=",  // non-zero trailing bits: another text for the same bytes
        ])
    func base64Refused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test(
        "base64url refuses padding, the standard alphabet, bad length and non-canonical bits",
        arguments: [
            "Zg==", "Zm8=", "Zg=", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zm9v\n", " Zg", "Zh", "Zm9", "AB",
        ])
    func base64urlRefused(_ text: String) {
        #expect(Base64.urlDecode(text) == nil)
    }

    // MARK: Hex and constant-time comparison

    @Test("hex encodes lowercase and decodes either case")
    func hexRoundTrip() {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        #expect(text.count == 512)
        #expect(text == text.lowercased())
        #expect(text.hasPrefix("000102") && text.hasSuffix("fdfeff"))
        #expect(Hex.decode(text) == all)
        #expect(Hex.decode(text.uppercased()) == all)
        #expect(Hex.decode("") == [])
        #expect(Hex.encode([0xDE, 0xAD, 0xBE, 0xEF]) == "deadbeef")
    }

    @Test(
        "hex refuses odd length and non-hex characters",
        arguments: ["0", "abc", "0g", "zz", " 00", "00 ", "0x00", "-1", "éé"])
    func hexRefused(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test("constant-time equality compares length and every byte")
    func constantTime() {
        let a: [UInt8] = Array(0..<32)
        #expect(ConstantTime.equals(a, a))
        #expect(ConstantTime.equals([], []))
        #expect(!ConstantTime.equals(a, Array(a.dropLast())))
        #expect(!ConstantTime.equals([], [0]))
        for index in [0, 15, 31] {
            var b = a
            b[index] ^= 0x80
            #expect(!ConstantTime.equals(a, b), "differs at \(index)")
        }
    }

    // MARK: C2SP signed-note keys

    @Test(
        "each published verifier key parses, and its key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]",
        arguments: SignedNoteVectors.shared?.keys ?? [])
    func verifierKey(_ vector: SignedNoteVectors.Key) throws {
        let verifier = try NoteVerifier(parsing: vector.verifier_key)
        #expect(verifier.name == vector.name)
        #expect(verifier.publicKey.bytes == bytes(vector.public_key_hex))
        #expect(Hex.encode(verifier.keyID) == vector.key_id_hex)
        #expect(Hex.encode(SHA256.hash(bytes(vector.key_id_preimage_hex)).prefix(4)) == vector.key_id_hex)
        #expect(verifier.text == vector.verifier_key)
        #expect(try NoteVerifier(parsing: vector.verifier_key + "\n") == verifier)
    }

    @Test("a verifier key with a wrong key ID, name or encoding is refused")
    func verifierKeyRefused() throws {
        let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        #expect(try NoteVerifier(parsing: good).name == "PeterNeumann")
        for bad in [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // key ID off by one
            "PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // other name, same ID
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // uppercase ID
            "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // short ID
            "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // algorithm byte 0x02
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  // truncated base64
            "PeterNeumann+c74f20a3", "", "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            #expect(throws: CryptoError.self, "\(bad)") { try NoteVerifier(parsing: bad) }
        }
    }

    @Test("the published signer key parses and reproduces the published signature line byte for byte")
    func signerKey() throws {
        let vector = try #require(SignedNoteVectors.shared?.signer)
        let signer = try NoteSigner(parsing: vector.signer_key)
        #expect(signer.name == vector.name)
        #expect(signer.key.seed == bytes(vector.seed_hex))
        #expect(signer.key.publicKey.bytes == bytes(vector.public_key_hex))
        #expect(Hex.encode(signer.keyID) == vector.key_id_hex)
        #expect(signer.signerKeyText == vector.signer_key)
        #expect(try NoteSigner(parsing: vector.signer_key + "\n").signerKeyText == vector.signer_key)
        let signature = signer.key.signature(for: Array(vector.text.utf8))
        let line = signatureLine(name: signer.name, keyID: signer.keyID, signature: signature)
        #expect(Array(line.utf8) == Array(vector.expected_signature_line.utf8))
        // The signer's verifier key is the published PeterNeumann verifier key.
        let published = try #require(SignedNoteVectors.shared?.keys.first { $0.name == vector.name })
        #expect(signer.verifier.text == published.verifier_key)
    }

    @Test("a signer key with a wrong key ID, prefix or length is refused")
    func signerKeyRefused() throws {
        for bad in [
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  // key ID
            "PRIVATE+KEY+PeterNeumanm+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  // name
            "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  // algorithm 0x02
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // a verifier key
            "",
        ] {
            #expect(throws: CryptoError.self, "\(bad)") { try NoteSigner(parsing: bad) }
        }
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 1, count: 32))
        for name in ["", "a b", "a+b", "tab\there", String(repeating: "n", count: 201)] {
            #expect(throws: CryptoError.self, "\(name)") { try NoteSigner(name: name, key: key) }
        }
    }

    @Test("a fresh signer's key texts parse back to the same key")
    func signerRoundTrip() throws {
        let signer = try NoteSigner(name: "kura.example/log", key: .generate())
        let parsed = try NoteSigner(parsing: signer.signerKeyText)
        #expect(parsed.key.seed == signer.key.seed)
        #expect(parsed.keyID == signer.keyID)
        #expect(try NoteVerifier(parsing: signer.verifier.text) == signer.verifier)
    }

    /// Checks each well-formed note's signature lines with the known verifier keys: a line counts for a
    /// known key only when name and key ID both match, as C2SP says; then Ed25519 decides.
    @Test(
        "signed notes: verified, invalid and unknown signers come out as published",
        arguments: SignedNoteVectors.wellFormedCases)
    func signedNote(_ vector: SignedNoteVectors.Case) throws {
        let note = try #require(vector.note)
        let text = try #require(vector.signed_text)
        #expect(note.hasPrefix(text + "\n"))
        let verifiers = try vector.verifier_keys.map { try NoteVerifier(parsing: $0) }
        var verified: [String] = []
        var invalid: [String] = []
        var unknown: [String] = []
        let block = note.dropFirst(text.utf8.count + 1)
        #expect(block.hasSuffix("\n"))
        for line in block.split(separator: "\n") {
            #expect(line.hasPrefix("\u{2014} "))
            let fields = line.dropFirst(2).split(separator: " ")
            try #require(fields.count == 2)
            let name = String(fields[0])
            let raw = try #require(Base64.decode(String(fields[1])), "signature of \(name) is not base64")
            try #require(raw.count > 4)  // a wrong-length signature is invalid, not malformed (Go's note.Open)
            let keyID = Array(raw.prefix(4))
            guard let verifier = verifiers.first(where: { $0.name == name && $0.keyID == keyID }) else {
                unknown.append(name)
                continue
            }
            if verifier.publicKey.isValidSignature(raw.dropFirst(4), for: Array(text.utf8)) {
                verified.append(name)
            } else {
                invalid.append(name)
            }
        }
        #expect(verified == (vector.verified_signers ?? []))
        #expect(invalid == (vector.invalid_signers ?? []))
        #expect(unknown == (vector.unverified_signers ?? []))
    }

    @Test("the derived checkpoint: key from the RFC 8032 TEST 1 seed, signature reproduced")
    func derivedCheckpoint() throws {
        let vector = try #require(SignedNoteVectors.shared?.derived_checkpoint)
        let signer = try NoteSigner(name: vector.origin, key: Ed25519.SecretKey(seed: bytes(vector.seed_hex)))
        #expect(signer.verifier.text == vector.verifier_key)
        let line = signatureLine(
            name: signer.name, keyID: signer.keyID, signature: signer.key.signature(for: Array(vector.signed_text.utf8))
        )
        #expect(vector.checkpoint == vector.signed_text + "\n" + line + "\n")
    }
}
