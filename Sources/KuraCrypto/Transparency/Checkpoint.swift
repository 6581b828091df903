/// A C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed statement that a log
/// with this origin has this many leaves and this RFC 6962 root.
///
/// The body is the text of a ``SignedNote``:
///
/// ```text
/// <origin>
/// <tree size in decimal, no leading zeros>
/// <base64 of the 32-byte root hash>
/// [extension lines…]
/// ```
public struct Checkpoint: Sendable, Hashable {
    /// The log's origin line, e.g. `kura.example/log`; by convention also the signing key's name.
    public let origin: String
    /// The number of leaves in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash of those leaves (32 bytes).
    public let rootHash: [UInt8]
    /// Optional extension lines after the root hash, kept as they are. Kura writes none.
    public let extensions: [String]

    /// A checkpoint. Throws `.malformed` for an empty origin, a root hash that is not 32 bytes, or a
    /// line (origin or extension) that is empty or holds a control character.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) throws(CheckpointError) {
        guard Self.isValidLine(origin) else {
            throw CheckpointError(.malformed, "the origin must be one non-empty line")
        }
        guard rootHash.count == MerkleHash.byteCount else {
            throw CheckpointError(.malformed, "the root hash is \(rootHash.count) bytes, not 32")
        }
        guard extensions.allSatisfy(Self.isValidLine) else {
            throw CheckpointError(.malformed, "an extension line is empty or holds a control character")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text that gets signed: origin, size and base64 root, each on its own line, then any extensions.
    public var body: String {
        var text = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensions { text += line + "\n" }
        return text
    }

    /// Parses a checkpoint body (the note text, without signatures).
    public static func parse(_ body: String) throws(CheckpointError) -> Checkpoint {
        guard body.utf8.last == 0x0A else {
            throw CheckpointError(.malformed, "the checkpoint does not end with a newline")
        }
        let lines = body.utf8.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else {
            throw CheckpointError(.malformed, "a checkpoint has an origin, a size and a root hash line")
        }
        guard let size = parseSize(lines[1]) else {
            throw CheckpointError(
                .malformed, "the tree size '\(lines[1].prefix(40))' is not a decimal number without leading zeros")
        }
        guard let root = Base64.decode(lines[2]) else {
            throw CheckpointError(.malformed, "the root hash is not base64")
        }
        return try Checkpoint(origin: lines[0], size: size, rootHash: root, extensions: Array(lines[3...]))
    }

    /// The signed note: ``body``, a blank line and the signer's signature line.
    public func signed(by signer: NoteSigner) -> String {
        body + "\n" + SignedNote.unsafeSignatureLine(text: body, signer: signer) + "\n"
    }

    /// Opens a signed checkpoint: the note must carry a valid signature by `verifier` (same key name
    /// and key ID) over a well-formed checkpoint body. Other signatures are ignored.
    ///
    /// - Throws: ``CheckpointError`` with reason `.malformed` (not a note, or not a checkpoint),
    ///   `.keyName` (no signature line with this key's name, or only with another key ID), or
    ///   `.signature` (the key's signature does not verify).
    public static func open(note: String, verifier: NoteVerifier) throws(CheckpointError) -> Checkpoint {
        let parsed: SignedNote
        do { parsed = try SignedNote(parsing: note) } catch { throw CheckpointError(.malformed, error.reason) }
        let named = parsed.signatures.filter { $0.name == verifier.name }
        guard !named.isEmpty else {
            let names = parsed.signatures.map(\.name).joined(separator: ", ")
            throw CheckpointError(.keyName, "no signature by key '\(verifier.name)' (signed by: \(names))")
        }
        let keyID = verifier.keyID
        guard let line = named.first(where: { $0.keyID == keyID }) else {
            throw CheckpointError(
                .keyName,
                "the signature by '\(verifier.name)' has key ID \(Hex.encode(named[0].keyID)), the key's ID is \(Hex.encode(keyID))"
            )
        }
        guard verifier.publicKey.isValidSignature(line.signature, for: Array(parsed.text.utf8)) else {
            throw CheckpointError(.signature, "the signature by \(verifier.name)+\(Hex.encode(keyID)) does not verify")
        }
        return try parse(parsed.text)
    }

    private static func isValidLine(_ line: String) -> Bool {
        !line.isEmpty && !line.utf8.contains { $0 < 0x20 }
    }

    /// ASCII decimal without leading zeros (other than "0" itself) that fits in 64 bits.
    private static func parseSize(_ text: String) -> UInt64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            digits.count == 1 || digits[0] != 0x30
        else { return nil }
        return UInt64(text)
    }
}

/// Why a signed checkpoint was refused.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which check failed.
    public enum Reason: String, Sendable, CaseIterable {
        /// Not a signed note, or its text is not a checkpoint.
        case malformed
        /// The note has no signature line for the expected key name and key ID.
        case keyName = "key_name"
        /// The expected key's signature does not verify.
        case signature
    }

    /// Which check failed; stable, for programs.
    public let reason: Reason
    /// What exactly is wrong, in one line, for people. Never parse it.
    public let detail: String

    /// An error for `reason`, with a line for people.
    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String {
        switch reason {
        case .malformed: "malformed checkpoint: \(detail)"
        case .keyName: "key name: \(detail)"
        case .signature: "signature: \(detail)"
        }
    }
}
