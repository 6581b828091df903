/// A C2SP signed note (https://c2sp.org/signed-note, golang.org/x/mod/sumdb/note): UTF-8 text
/// ending in a newline, a blank line, then one or more signature lines
/// `— <key name> <base64(4-byte key ID || signature)>\n` (U+2014 EM DASH, then a space).
///
/// ```text
/// example.com/kura-test-log
/// 8
/// Xcnaeacr…Qyg=
///
/// — example.com/kura-test-log UhnG66tL…TQk=
/// ```
///
/// Signatures cover the text only, final newline included. Parsing follows Go's `note.Open`:
/// the whole note must be valid UTF-8 with no control characters other than newline, the text is
/// everything up to the last blank line, and each signature line needs a valid key name and a
/// base64 payload of at least 5 bytes. A signature of the wrong length is not malformed; it simply
/// fails verification.
public struct SignedNote: Sendable, Hashable {
    /// One signature line.
    public struct Signature: Sendable, Hashable, CustomStringConvertible {
        /// The key name.
        public let name: String
        /// The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4] for Ed25519.
        public let keyID: [UInt8]
        /// The signature bytes after the key ID (64 for Ed25519).
        public let signature: [UInt8]

        /// A signature line's fields.
        public init(name: String, keyID: [UInt8], signature: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.signature = signature
        }

        /// The line as it appears in a note, without its newline: `— <name> <base64(keyID || signature)>`.
        public var line: String { "\u{2014} \(name) \(Base64.encode(keyID + signature))" }

        public var description: String { "\(name)+\(Hex.encode(keyID))" }
    }

    /// The signed text, ending in a newline.
    public let text: String
    /// The signature lines, in note order.
    public let signatures: [Signature]

    /// More signature lines than this make a note malformed, as in Go's `note.Open`.
    public static let maxSignatures = 100

    /// Parses a note without checking any signature.
    public init(parsing note: String) throws(NoteError) {
        try self.init(utf8: Array(note.utf8))
    }

    /// Parses a note given as bytes, which must be valid UTF-8.
    public init(parsing bytes: some Collection<UInt8>) throws(NoteError) {
        let bytes = Array(bytes)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw NoteError("the note is not valid UTF-8") }
        try self.init(utf8: bytes)
    }

    private init(utf8 bytes: [UInt8]) throws(NoteError) {
        if let bad = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw NoteError("control character 0x\(Hex.encode([bytes[bad]])) at byte \(bad)")
        }
        // The text ends at the last blank line; the signature block follows it.
        var split = bytes.count - 2
        while split >= 0 && !(bytes[split] == 0x0A && bytes[split + 1] == 0x0A) { split -= 1 }
        guard split >= 0 else { throw NoteError("no blank line before a signature block") }
        let block = bytes[(split + 2)...]
        guard let last = block.last, last == 0x0A else {
            throw NoteError(block.isEmpty ? "no signature lines" : "the last signature line does not end in a newline")
        }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < Self.maxSignatures else {
                throw NoteError("more than \(Self.maxSignatures) signatures")
            }
            signatures.append(try Self.parseSignatureLine(line))
        }
        self.text = String(decoding: bytes[...split], as: UTF8.self)
        self.signatures = signatures
    }

    /// `— <name> <base64>`: the name runs to the first space, the base64 is the rest.
    private static func parseSignatureLine(_ line: ArraySlice<UInt8>) throws(NoteError) -> Signature {
        let prefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]  // "— "
        guard line.starts(with: prefix) else {
            throw NoteError("a signature line must start with an em dash and a space")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw NoteError("a signature line needs a name and a signature")
        }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        let encoded = String(decoding: rest[(space + 1)...], as: UTF8.self)
        guard NoteKeys.isValidName(name) else { throw NoteError("invalid key name '\(name)' in a signature line") }
        guard let raw = Base64.decode(encoded), raw.count >= 5 else {
            throw NoteError("the signature of '\(name)' is not base64 of a key ID and a signature")
        }
        return Signature(name: name, keyID: Array(raw[..<4]), signature: Array(raw[4...]))
    }

    /// The note text: the signed text, a blank line, and each signature line.
    public var note: String {
        text + "\n" + signatures.map { $0.line + "\n" }.joined()
    }

    /// Checks each signature line against the known keys. A line belongs to a known key only when
    /// both its name and key ID match; only the first line per key is checked, repeated unknown
    /// lines are listed once (as Go's `note.Open` does).
    public func verify(with verifiers: [NoteVerifier]) -> NoteVerification {
        let known = verifiers.map { (verifier: $0, keyID: $0.keyID) }
        let message = Array(text.utf8)
        var verified: [Signature] = []
        var invalid: [Signature] = []
        var unknown: [Signature] = []
        var checkedKeys: Set<String> = []
        for signature in signatures {
            guard let key = known.first(where: { $0.verifier.name == signature.name && $0.keyID == signature.keyID })
            else {
                if !unknown.contains(signature) { unknown.append(signature) }
                continue
            }
            guard checkedKeys.insert("\(signature.name)+\(Hex.encode(signature.keyID))").inserted else { continue }
            if key.verifier.publicKey.isValidSignature(signature.signature, for: message) {
                verified.append(signature)
            } else {
                invalid.append(signature)
            }
        }
        return NoteVerification(note: self, verified: verified, invalid: invalid, unknown: unknown)
    }

    /// Parses `note` and checks its signatures; `.failure` when the note is malformed.
    public static func verify(note: String, verifiers: [NoteVerifier]) -> Result<NoteVerification, NoteError> {
        Result { () throws(NoteError) in try SignedNote(parsing: note).verify(with: verifiers) }
    }

    /// Parses a note given as bytes and checks its signatures; `.failure` when it is malformed.
    public static func verify(noteBytes: some Collection<UInt8>, verifiers: [NoteVerifier]) -> Result<
        NoteVerification, NoteError
    > {
        Result { () throws(NoteError) in try SignedNote(parsing: noteBytes).verify(with: verifiers) }
    }

    /// Signs `text` and returns the whole note: the text, a blank line and one signature line.
    ///
    /// Throws when the text could not be read back as a note: empty, not ending in a newline, or
    /// holding a control character other than newline.
    public static func sign(text: String, signer: NoteSigner) throws(NoteError) -> String {
        text + "\n" + (try signatureLine(text: text, signer: signer)) + "\n"
    }

    /// The signature line `— <name> <base64(keyID || Ed25519(text))>` for `text`, without a newline.
    public static func signatureLine(text: String, signer: NoteSigner) throws(NoteError) -> String {
        guard text.utf8.last == 0x0A else { throw NoteError("note text must be non-empty and end with a newline") }
        if let bad = text.utf8.first(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw NoteError("note text holds control character 0x\(Hex.encode([bad]))")
        }
        return unsafeSignatureLine(text: text, signer: signer)
    }

    /// Signs text already known to be valid note text.
    static func unsafeSignatureLine(text: String, signer: NoteSigner) -> String {
        let signature = signer.key.signature(for: Array(text.utf8))
        return Signature(name: signer.name, keyID: signer.keyID, signature: signature).line
    }
}

/// The outcome of checking a well-formed note's signatures against a set of known keys.
public struct NoteVerification: Sendable, Hashable {
    /// The parsed note.
    public let note: SignedNote
    /// Lines by a known key whose signature is valid.
    public let verified: [SignedNote.Signature]
    /// Lines by a known key (name and key ID match) whose signature fails.
    public let invalid: [SignedNote.Signature]
    /// Lines whose name and key ID match none of the known keys.
    public let unknown: [SignedNote.Signature]

    /// The names of the keys that verified, in note order.
    public var verifiedNames: [String] { verified.map(\.name) }
    /// The names of the known keys whose signatures failed, in note order.
    public var invalidNames: [String] { invalid.map(\.name) }
    /// The names on lines no known key matches, in note order.
    public var unknownNames: [String] { unknown.map(\.name) }

    /// Whether `verifier` signed the note validly.
    public func isVerified(by verifier: NoteVerifier) -> Bool {
        let id = verifier.keyID
        return verified.contains { $0.name == verifier.name && $0.keyID == id }
    }
}

/// Why a note could not be parsed or signed.
public struct NoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in one line, for people.
    public let reason: String
    /// Creates an error with a reason.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed note: \(reason)" }
}
