import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// The C2SP signed-note vectors in Fixtures/vectors/signed-note.json, as the note parser sees them.
struct NoteVectors: Decodable, Sendable {
    struct Key: Decodable, Sendable {
        let verifier_key: String
        let name: String
        let key_id_hex: String
    }
    struct Signer: Decodable, Sendable {
        let signer_key: String
        let text: String
        let expected_signature_line: String
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let verifier_keys: [String]
        let note: String?
        let note_hex: String?
        let malformed: Bool
        let verified_signers: [String]?
        let invalid_signers: [String]?
        let unverified_signers: [String]?
        let signed_text: String?
        var testDescription: String { name }

        /// The note's bytes: `note_hex` where the note is not valid UTF-8.
        var bytes: [UInt8] {
            if let hex = note_hex { return Hex.decode(hex)! }
            return Array(note!.utf8)
        }
    }
    struct ParseOnly: Decodable, Sendable, CustomTestStringConvertible {
        struct Signature: Decodable, Sendable {
            let name: String
            let key_id_hex: String
            let signature_length: Int
        }
        let name: String
        let note: String
        let signed_text: String
        let signatures: [Signature]
        var testDescription: String { name }
    }
    struct DerivedCheckpoint: Decodable, Sendable {
        let seed_hex: String
        let verifier_key: String
        let origin: String
        let tree_size: UInt64
        let root_hex: String
        let checkpoint: String
        let signed_text: String
    }
    let keys: [Key]
    let signer: Signer
    let cases: [Case]
    let parse_only: [ParseOnly]
    let derived_checkpoint: DerivedCheckpoint

    static let url = VectorFixtures.url("signed-note.json")

    static func load() throws -> NoteVectors {
        try VectorFixtures.load("signed-note.json", as: NoteVectors.self)
    }

    /// Nil when the file is missing: the parameterised tests then run zero cases and
    /// `fixtureIsComplete` reports the real problem.
    static let shared = try? load()
    static var cases: [Case] { shared?.cases ?? [] }
    static var parseOnly: [ParseOnly] { shared?.parse_only ?? [] }

    /// The key of the derived checkpoint (RFC 8032 TEST 1 seed, named after the log origin).
    static func checkpointSigner() throws -> NoteSigner {
        let vector = try #require(shared?.derived_checkpoint)
        return try NoteSigner(name: vector.origin, key: Ed25519.SecretKey(seed: Hex.decode(vector.seed_hex)!))
    }
}

@Suite struct SignedNoteTests {
    @Test("the fixture loads and has every section")
    func fixtureIsComplete() throws {
        let vectors = try NoteVectors.load()
        #expect(vectors.keys.count == 3)
        #expect(vectors.cases.count == 16)
        #expect(vectors.cases.filter(\.malformed).count == 7)
        #expect(vectors.parse_only.count == 2)
    }

    @Test(
        "every signed-note case: malformed, or exactly the published verified, invalid and unknown signers",
        arguments: NoteVectors.cases)
    func noteCase(_ vector: NoteVectors.Case) throws {
        let verifiers = try vector.verifier_keys.map { try NoteVerifier(parsing: $0) }
        let outcome = SignedNote.verify(noteBytes: vector.bytes, verifiers: verifiers)
        if vector.malformed {
            #expect(throws: NoteError.self) { try outcome.get() }
            #expect(throws: NoteError.self) { try SignedNote(parsing: vector.bytes) }
            return
        }
        let result = try outcome.get()
        #expect(result.verifiedNames == (vector.verified_signers ?? []))
        #expect(result.invalidNames == (vector.invalid_signers ?? []))
        #expect(result.unknownNames == (vector.unverified_signers ?? []))
        #expect(result.note.text == vector.signed_text)
        // The String entry point agrees with the byte one, and the note re-renders byte for byte.
        let note = try #require(vector.note)
        #expect(try SignedNote.verify(note: note, verifiers: verifiers).get() == result)
        #expect(result.note.note == note)
        for verifier in verifiers {
            #expect(result.isVerified(by: verifier) == (vector.verified_signers ?? []).contains(verifier.name))
        }
    }

    @Test(
        "spec examples without published keys parse into their text and signature lines",
        arguments: NoteVectors.parseOnly)
    func parseOnly(_ vector: NoteVectors.ParseOnly) throws {
        let note = try SignedNote(parsing: vector.note)
        #expect(note.text == vector.signed_text)
        #expect(note.signatures.map(\.name) == vector.signatures.map(\.name))
        #expect(note.signatures.map { Hex.encode($0.keyID) } == vector.signatures.map(\.key_id_hex))
        #expect(note.signatures.map(\.signature.count) == vector.signatures.map(\.signature_length))
        #expect(note.note == vector.note)
        // No key known: every line is unknown, none verified.
        let result = note.verify(with: [])
        #expect(result.verified.isEmpty && result.invalid.isEmpty)
        #expect(result.unknown == note.signatures)
    }

    @Test("signing with the published PeterNeumann key reproduces its signature line exactly")
    func peterNeumannSignature() throws {
        let vector = try #require(NoteVectors.shared?.signer)
        let signer = try NoteSigner(parsing: vector.signer_key)
        #expect(try SignedNote.signatureLine(text: vector.text, signer: signer) == vector.expected_signature_line)
        let note = try SignedNote.sign(text: vector.text, signer: signer)
        #expect(note == vector.text + "\n" + vector.expected_signature_line + "\n")
        let result = try SignedNote.verify(note: note, verifiers: [signer.verifier]).get()
        #expect(result.verifiedNames == ["PeterNeumann"])
        #expect(result.isVerified(by: signer.verifier))
    }

    @Test("the derived checkpoint note is reproduced by signing its text")
    func derivedCheckpointSignature() throws {
        let vector = try #require(NoteVectors.shared?.derived_checkpoint)
        let signer = try NoteVectors.checkpointSigner()
        #expect(signer.verifier.text == vector.verifier_key)
        #expect(try SignedNote.sign(text: vector.signed_text, signer: signer) == vector.checkpoint)
    }

    @Test(
        "text that could not be read back as a note is refused for signing",
        arguments: [
            "", "no final newline", "tab\tinside\n", "carriage return\r\n", "\u{7}bell\n",
        ])
    func signRefusesBadText(_ text: String) throws {
        let signer = try NoteVectors.checkpointSigner()
        #expect(throws: NoteError.self) { try SignedNote.sign(text: text, signer: signer) }
    }

    @Test("any text with interior blank lines round-trips: the text ends at the last blank line")
    func interiorBlankLines() throws {
        let signer = try NoteVectors.checkpointSigner()
        for text in ["a\n", "\n", "a\n\nb\n", "a\n\n\n", "\n\n\n", "é — ✓\n\n— not a signature\n"] {
            let note = try SignedNote.sign(text: text, signer: signer)
            let result = try SignedNote.verify(note: note, verifiers: [signer.verifier]).get()
            #expect(result.note.text == text)
            #expect(result.verifiedNames == [signer.name])
        }
    }

    @Test(
        "more malformed notes are refused",
        arguments: [
            "text\n\n",  // no signature lines
            "text\n\n— name\n",  // no signature field
            "text\n\n— name \n",  // empty signature field
            "text\n\n- name AAAAAAA=\n",  // hyphen, not an em dash
            "text\n\n—name AAAAAAA=\n",  // no space after the dash
            "text\n\n— name AAAA\n",  // 3 bytes: shorter than a key ID and one signature byte
            "text\n\n— name not!base64\n",
            "text\n\n— name AAAAAAA=\n\n",  // blank line after the signatures
            "text\n\n— na+me AAAAAAA=\n",  // '+' in a key name
            "text\n— name AAAAAAA=\n",  // no blank line
        ])
    func moreMalformed(_ note: String) {
        #expect(throws: NoteError.self) { try SignedNote(parsing: note) }
    }

    @Test("a signature of the wrong length by a known key is invalid, not malformed")
    func shortSignatureIsInvalid() throws {
        let signer = try NoteVectors.checkpointSigner()
        let line = "\u{2014} \(signer.name) \(Base64.encode(signer.keyID + [1, 2, 3]))"
        let result = try SignedNote.verify(note: "hello\n\n\(line)\n", verifiers: [signer.verifier]).get()
        #expect(result.invalidNames == [signer.name])
    }

    @Test("more than 100 signature lines make a note malformed; 100 are fine")
    func signatureLimit() throws {
        let line = "\u{2014} someone \(Base64.encode([UInt8](repeating: 7, count: 68)))\n"
        #expect(try SignedNote(parsing: "t\n\n" + String(repeating: line, count: 100)).signatures.count == 100)
        #expect(throws: NoteError.self) { try SignedNote(parsing: "t\n\n" + String(repeating: line, count: 101)) }
    }

    @Test("a known key's repeated lines are checked once; repeated unknown lines are listed once")
    func duplicates() throws {
        let signer = try NoteVectors.checkpointSigner()
        let good = try SignedNote.signatureLine(text: "x\n", signer: signer)
        let stranger = "\u{2014} stranger \(Base64.encode([UInt8](repeating: 9, count: 68)))"
        let note = "x\n\n\(good)\n\(stranger)\n\(good)\n\(stranger)\n"
        let result = try SignedNote.verify(note: note, verifiers: [signer.verifier]).get()
        #expect(result.verifiedNames == [signer.name])
        #expect(result.unknownNames == ["stranger"])
        #expect(result.note.signatures.count == 4)
    }

    @Test("a line matches a key only by name and key ID together")
    func nameAndKeyIDBothCount() throws {
        let signer = try NoteVectors.checkpointSigner()
        let other = try NoteSigner(name: signer.name, key: Ed25519.SecretKey(seed: [UInt8](repeating: 3, count: 32)))
        let note = try SignedNote.sign(text: "x\n", signer: other)
        let result = try SignedNote.verify(note: note, verifiers: [signer.verifier]).get()
        #expect(result.unknownNames == [signer.name])  // same name, different key ID
        #expect(result.verified.isEmpty && result.invalid.isEmpty)
    }
}
